//! The WebSocket under a connection: RFC 6455 frames over the upgraded HTTP/1.1 connection.
//!
//! Reads go through a buffer that belongs to the worker thread, not to the connection: a
//! connection keeps bytes of its own only while a frame is unfinished, so an idle one holds no
//! read buffer, and no buffer is zeroed before a read. What a turn sends is written with one
//! write: small frames joined in a buffer of the thread, large ones with a vectored write, each
//! frame's header beside its payload, so a large frame shared by many connections (a broadcast)
//! is never copied.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tungstenite::Utf8Bytes;

use super::codec::{self, Header, OpCode, Parsed, status};
use crate::connection::{Closed, ConnectionError, Frame, IoFuture, Received, TransportIo};

/// How long a socket left with unread data (a message beyond the limit) stays open after the
/// server's Close: closed at once, it would answer the client with a reset, and a reset makes
/// the client drop what it had not read yet, the Close message among it.
const LINGER_AFTER_UNREAD: Duration = Duration::from_millis(500);

/// How long the server waits for the client's Close frame after sending its own (ASP.NET's
/// `WebSocketOptions.CloseTimeout`), before it drops the socket.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Bytes queued for the socket beyond which `poll_ready` waits for them to be written, and
/// nothing more is read.
const WRITE_HIGH_WATER: usize = 128 * 1024;

/// Frames queued for the socket beyond which the same holds (pongs are small but each takes a
/// slot).
const QUEUED_HIGH_WATER: usize = 1024;

/// Frames handed to one vectored write at most (two slices each).
const FRAMES_PER_WRITE: usize = 16;

/// Frames are joined into one plain write below this many bytes, and written with a vectored
/// write (no copy) from there.
const JOIN_BELOW: usize = 4096;

/// The limits of one endpoint's sockets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most bytes read from the socket at once.
    pub(crate) read_size: usize,
    /// The largest message (and frame) accepted.
    pub(crate) max_message: usize,
}

thread_local! {
    /// The read buffer of the sockets polled on this thread (initialised once, never zeroed
    /// again; the workspace forbids reading into uninitialised memory).
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where small frames of the sockets written on this thread are joined for one write.
    static WRITE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

type Socket = TokioIo<Upgraded>;

/// A WebSocket under a connection.
pub(crate) struct WebSocketIo {
    /// `None` once dropped: after a failed write, or when `close` is done with it.
    socket: Option<Socket>,
    limits: Limits,
    /// Bytes the client POSTed before the socket connected: read first.
    early: Option<Bytes>,
    /// Bytes read that do not make a whole frame yet (empty, with no allocation, otherwise).
    partial: BytesMut,
    /// The frames so far of a fragmented message.
    message: Option<Fragmented>,
    /// Frames waiting to be written, in order.
    out: VecDeque<Outgoing>,
    /// Their bytes not yet written.
    out_bytes: usize,
    /// Nothing more is read: the client's Close arrived, or the connection failed.
    read_done: bool,
    /// The client sent its Close frame.
    peer_closed: bool,
    /// The server's Close frame is queued (after it, no data frame may follow).
    close_sent: bool,
    /// The client sent a message beyond the limit, whose rest is still unread.
    too_large: bool,
}

/// A message arriving in several frames.
struct Fragmented {
    text: bool,
    data: Vec<u8>,
}

/// One frame to write: its header, then its payload.
struct Outgoing {
    header: [u8; 10],
    header_len: u8,
    payload: Bytes,
    /// How much of header and payload is written.
    written: usize,
}

impl Outgoing {
    fn new(opcode: OpCode, payload: Bytes) -> Outgoing {
        let (header, header_len) = codec::server_header(opcode, payload.len());
        Outgoing {
            header,
            header_len,
            payload,
            written: 0,
        }
    }

    fn len(&self) -> usize {
        usize::from(self.header_len) + self.payload.len()
    }

    /// What is left to write, as one or two slices put at the start of `slices`: how many.
    fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let header_len = usize::from(self.header_len);
        if self.written < header_len {
            slices[0] = IoSlice::new(&self.header[self.written..header_len]);
            slices[1] = IoSlice::new(&self.payload);
            2
        } else {
            slices[0] = IoSlice::new(&self.payload[self.written - header_len..]);
            1
        }
    }
}

/// What one frame at the start of the input came to.
enum Step {
    /// `consumed` bytes were a whole frame; a message, or the end of reading, if it made one.
    Frame {
        consumed: usize,
        received: Option<Received>,
    },
    /// The frame is not all there yet.
    Incomplete,
}

impl WebSocketIo {
    pub(crate) fn new(socket: Socket, limits: Limits, early: Option<Bytes>) -> WebSocketIo {
        WebSocketIo {
            socket: Some(socket),
            early,
            ..WebSocketIo::new_detached(limits)
        }
    }

    /// A socket's state without the socket.
    fn new_detached(limits: Limits) -> WebSocketIo {
        WebSocketIo {
            socket: None,
            limits,
            early: None,
            partial: BytesMut::new(),
            message: None,
            out: VecDeque::new(),
            out_bytes: 0,
            read_done: false,
            peer_closed: false,
            close_sent: false,
            too_large: false,
        }
    }

    /// Queues a frame for the next write.
    fn queue(&mut self, opcode: OpCode, payload: Bytes) {
        let frame = Outgoing::new(opcode, payload);
        self.out_bytes += frame.len();
        self.out.push_back(frame);
    }

    /// Whether more is queued for the socket than it should take before more is queued.
    fn backlogged(&self) -> bool {
        self.out_bytes >= WRITE_HIGH_WATER || self.out.len() >= QUEUED_HIGH_WATER
    }

    /// Queues the server's Close frame, once.
    fn queue_close(&mut self, code: Option<u16>) {
        if self.close_sent {
            return;
        }
        self.close_sent = true;
        let payload = code.map_or_else(Bytes::new, |code| {
            Bytes::copy_from_slice(&code.to_be_bytes())
        });
        self.queue(OpCode::Close, payload);
    }

    /// Nothing more is read, and what was read of an unfinished message is dropped.
    fn stop_reading(&mut self) {
        self.read_done = true;
        self.message = None;
        self.partial = BytesMut::new();
    }

    /// The client broke the protocol: the server's Close says how, and nothing more is read.
    fn fail(&mut self, code: u16) -> Received {
        self.stop_reading();
        self.queue_close(Some(code));
        Received::Closed
    }

    /// Writes what is queued (without flushing the socket).
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        let Some(socket) = &mut self.socket else {
            return Poll::Ready(Err(Closed));
        };
        while !self.out.is_empty() {
            let mut slices = [IoSlice::new(&[]); 2 * FRAMES_PER_WRITE];
            let mut used = 0;
            for frame in self.out.iter().take(FRAMES_PER_WRITE) {
                used += frame.slices(&mut slices[used..]);
            }
            let slices = &slices[..used];
            let total: usize = slices.iter().map(|slice| slice.len()).sum();
            let written = if total > JOIN_BELOW && socket.is_write_vectored() {
                ready!(Pin::new(&mut *socket).poll_write_vectored(cx, slices))
            } else {
                // Small frames are joined into one plain write, which costs the kernel less
                // than a vectored one; and without vectored writes a write per header and per
                // payload would wait on Nagle's algorithm.
                ready!(WRITE_BUFFER.with(|joined| {
                    let mut joined = joined.borrow_mut();
                    joined.clear();
                    slices
                        .iter()
                        .for_each(|slice| joined.extend_from_slice(slice));
                    let written = Pin::new(&mut *socket).poll_write(cx, &joined);
                    if joined.capacity() > 4 * JOIN_BELOW {
                        *joined = Vec::new();
                    }
                    written
                }))
            };
            let mut written = match written {
                Ok(0) | Err(_) => {
                    self.socket = None;
                    return Poll::Ready(Err(Closed));
                }
                Ok(written) => written,
            };
            self.out_bytes -= written;
            while written > 0 {
                let front = self.out.front_mut().expect("written bytes were queued");
                let left = front.len() - front.written;
                if written < left {
                    front.written += written;
                    break;
                }
                written -= left;
                self.out.pop_front();
            }
        }
        // Idle connections keep no more than a few slots.
        if self.out.capacity() > 4 {
            self.out = VecDeque::new();
        }
        Poll::Ready(Ok(()))
    }

    /// Reads one frame at the start of `input`.
    fn decode(&mut self, input: &[u8]) -> Step {
        let header = match codec::parse_header(input) {
            Parsed::Header(header) => header,
            Parsed::Incomplete(_) => return Step::Incomplete,
            Parsed::Invalid(code) => {
                return Step::Frame {
                    consumed: input.len(),
                    received: Some(self.fail(code)),
                };
            }
        };
        let so_far = self
            .message
            .as_ref()
            .map_or(0, |message| message.data.len());
        let too_large = usize::try_from(header.payload_len)
            .ok()
            .and_then(|len| len.checked_add(so_far))
            .is_none_or(|len| len > self.limits.max_message);
        if too_large && !header.opcode.is_control() {
            self.stop_reading();
            self.too_large = true;
            return Step::Frame {
                consumed: input.len(),
                received: Some(Received::Failed(ConnectionError::TooLarge)),
            };
        }
        let frame_len = header.frame_len().expect("within the limit");
        if input.len() < frame_len {
            return Step::Incomplete;
        }
        let payload = &input[header.header_len..frame_len];
        let received = self.frame(header, payload);
        Step::Frame {
            consumed: frame_len,
            received,
        }
    }

    /// What a whole frame makes: a message, the end of reading, or nothing (a control frame
    /// answered, a fragment kept).
    fn frame(&mut self, header: Header, payload: &[u8]) -> Option<Received> {
        let unmasked = |payload: &[u8]| {
            let mut data = payload.to_vec();
            codec::unmask(&mut data, header.mask);
            data
        };
        match header.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.message.is_some() {
                    // A new message while a fragmented one is unfinished.
                    return Some(self.fail(status::PROTOCOL_ERROR));
                }
                let text = header.opcode == OpCode::Text;
                if header.fin {
                    return Some(self.message_done(text, unmasked(payload)));
                }
                self.message = Some(Fragmented {
                    text,
                    data: unmasked(payload),
                });
                None
            }
            OpCode::Continuation => {
                let Some(message) = &mut self.message else {
                    return Some(self.fail(status::PROTOCOL_ERROR));
                };
                let start = message.data.len();
                message.data.extend_from_slice(payload);
                codec::unmask(&mut message.data[start..], header.mask);
                if !header.fin {
                    return None;
                }
                let Fragmented { text, data } = self.message.take().expect("checked above");
                Some(self.message_done(text, data))
            }
            OpCode::Ping => {
                if !self.close_sent {
                    self.queue(OpCode::Pong, Bytes::from(unmasked(payload)));
                }
                None
            }
            OpCode::Pong => None,
            OpCode::Close => {
                let payload = unmasked(payload);
                match codec::close_status(&payload) {
                    Ok(code) => {
                        self.read_done = true;
                        self.peer_closed = true;
                        self.message = None;
                        // The reply echoes the client's code (RFC 6455 section 5.5.1).
                        self.queue_close(code);
                        Some(Received::Closed)
                    }
                    Err(code) => Some(self.fail(code)),
                }
            }
        }
    }

    /// A whole message.
    fn message_done(&mut self, text: bool, data: Vec<u8>) -> Received {
        if !text {
            return Received::Frame(Frame::binary(data));
        }
        match Utf8Bytes::try_from(data) {
            Ok(text) => Received::Frame(Frame::from_utf8_bytes(text)),
            Err(_) => self.fail(status::INVALID_DATA),
        }
    }

    /// Reads from the socket into the thread's buffer, and decodes what arrived: a message, or
    /// the end of reading (`None` when more is needed, kept in `partial`).
    fn poll_read_frames(&mut self, cx: &mut Context<'_>) -> Poll<Option<Received>> {
        READ_BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            if buffer.len() < self.limits.read_size {
                buffer.resize(self.limits.read_size, 0);
            }
            let Some(socket) = &mut self.socket else {
                // A write failed: the client is gone.
                return Poll::Ready(Some(Received::Lost));
            };
            let mut read = ReadBuf::new(&mut buffer[..self.limits.read_size]);
            match ready!(Pin::new(socket).poll_read(cx, &mut read)) {
                Ok(()) if read.filled().is_empty() => {
                    self.read_done = true;
                    // Lost without a Close frame: a stateful connection waits for its client.
                    return Poll::Ready(Some(Received::Lost));
                }
                Ok(()) => {}
                Err(_) => {
                    self.read_done = true;
                    return Poll::Ready(Some(Received::Lost));
                }
            }
            Poll::Ready(self.bytes_read(read.filled()))
        })
    }

    /// Takes bytes read from the socket: the message (or the end of reading) they complete, if
    /// any; what follows it, or an unfinished frame, is kept in `partial`.
    fn bytes_read(&mut self, input: &[u8]) -> Option<Received> {
        if !self.partial.is_empty() {
            self.partial.extend_from_slice(input);
            return None;
        }
        let mut at = 0;
        while at < input.len() {
            match self.decode(&input[at..]) {
                Step::Frame { consumed, received } => {
                    at += consumed;
                    if let Some(received) = received {
                        if !self.read_done {
                            self.partial.extend_from_slice(&input[at..]);
                        }
                        return Some(received);
                    }
                }
                // Kept as it arrives: a frame's announced length reserves nothing.
                Step::Incomplete => {
                    self.partial.extend_from_slice(&input[at..]);
                    break;
                }
            }
        }
        None
    }

    /// A message from bytes already read, if they hold one.
    fn next_buffered(&mut self) -> Option<Received> {
        while !self.partial.is_empty() && !self.read_done {
            let partial = std::mem::take(&mut self.partial);
            match self.decode(&partial) {
                Step::Frame { consumed, received } => {
                    if !self.read_done {
                        self.partial = partial;
                        self.partial.advance(consumed);
                        if self.partial.is_empty() {
                            // Frees what a long message took.
                            self.partial = BytesMut::new();
                        }
                    }
                    if received.is_some() {
                        return received;
                    }
                }
                Step::Incomplete => {
                    self.partial = partial;
                    return None;
                }
            }
        }
        None
    }

    /// The socket, moved out for `close` to linger with; `self` keeps nothing.
    fn take(&mut self) -> WebSocketIo {
        let ended = WebSocketIo {
            read_done: true,
            close_sent: true,
            ..WebSocketIo::new_detached(self.limits)
        };
        std::mem::replace(self, ended)
    }
}

impl TransportIo for WebSocketIo {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Received> {
        if let Some(early) = self.early.take() {
            return Poll::Ready(Received::Frame(Frame::binary(early)));
        }
        loop {
            if let Some(received) = self.next_buffered() {
                self.answer_controls(cx);
                return Poll::Ready(received);
            }
            if self.read_done {
                return Poll::Ready(Received::Closed);
            }
            // Pongs (and a Close) queued by what was read go out without waiting for a write of
            // the connection's.
            self.answer_controls(cx);
            if self.backlogged() {
                // A client that sends pings but does not read their pongs is not read either
                // until it does: what it can make the server queue stays bounded.
                match self.poll_write_out(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(Closed)) => return Poll::Ready(Received::Lost),
                    Poll::Ready(Ok(())) => {}
                }
            }
            if let Some(received) = ready!(self.poll_read_frames(cx)) {
                self.answer_controls(cx);
                return Poll::Ready(received);
            }
        }
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        if self.socket.is_none() || self.close_sent {
            return Poll::Ready(Err(Closed));
        }
        if self.backlogged() {
            ready!(self.poll_write_out(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(&mut self, frame: Frame) -> Result<(), Closed> {
        if self.socket.is_none() || self.close_sent {
            return Err(Closed);
        }
        let opcode = if frame.is_text() {
            OpCode::Text
        } else {
            OpCode::Binary
        };
        self.queue(opcode, frame.into_bytes());
        Ok(())
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        ready!(self.poll_write_out(cx))?;
        let Some(socket) = &mut self.socket else {
            return Poll::Ready(Err(Closed));
        };
        Pin::new(socket).poll_flush(cx).map_err(|_| Closed)
    }

    fn close(&mut self, _drain: bool) -> IoFuture<'_, ()> {
        Box::pin(async move {
            if self.socket.is_none() {
                return;
            }
            let answered = self.close_sent;
            self.queue_close(Some(status::NORMAL));
            if std::future::poll_fn(|cx| self.poll_flush(cx))
                .await
                .is_err()
                || answered
            {
                // The client's Close was answered, or the client broke the protocol: done.
                return;
            }
            // The socket stays open for the client's Close frame (or, after a message beyond
            // the limit, a moment for the client to read ours), in a task of its own: the
            // connection ends now.
            let mut socket = self.take();
            tokio::spawn(async move {
                if socket.too_large {
                    tokio::time::sleep(LINGER_AFTER_UNREAD).await;
                    return;
                }
                let answered = async {
                    while let Received::Frame(_) =
                        std::future::poll_fn(|cx| socket.poll_recv(cx)).await
                    {}
                };
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, answered).await;
            });
        })
    }

    fn finish(&self) {}
}

/// What the server makes of a client's bytes arriving in `chunks`, read as the socket reads
/// them: what it received, and the bytes of the frames it queued in answer.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_chunks(chunks: &[&[u8]], max_message: usize) -> (Vec<Received>, Vec<u8>) {
    let limits = Limits {
        read_size: usize::MAX,
        max_message,
    };
    let mut io = WebSocketIo::new_detached(limits);
    let mut received = Vec::new();
    for chunk in chunks {
        if io.read_done {
            break;
        }
        received.extend(io.bytes_read(chunk));
        while let Some(next) = io.next_buffered() {
            received.push(next);
        }
    }
    let mut written = Vec::new();
    for frame in &io.out {
        written.extend_from_slice(&frame.header[..usize::from(frame.header_len)]);
        written.extend_from_slice(&frame.payload);
    }
    (received, written)
}

impl WebSocketIo {
    /// Writes queued control frames as far as the socket takes them now; what it does not take
    /// goes with the connection's next write (or the next read's attempt).
    fn answer_controls(&mut self, cx: &mut Context<'_>) {
        if !self.out.is_empty() && self.socket.is_some() {
            if let Poll::Ready(Ok(())) = self.poll_write_out(cx) {
                if let Some(socket) = &mut self.socket {
                    let _ = Pin::new(socket).poll_flush(cx);
                }
            }
        }
    }
}
