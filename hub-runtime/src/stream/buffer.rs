//! The bounded buffer between a server stream's producer and the connection that reads it.
//!
//! Both ends are polled by the connection's task (the stream polls its producer when the buffer
//! is empty), so a plain lock that is never contended does what a channel between tasks would,
//! without the channel's semaphore and atomic list per item.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

struct Shared<T> {
    items: VecDeque<T>,
    capacity: usize,
    sender_gone: bool,
    receiver_gone: bool,
    /// The reader, waiting for an item.
    receiver: Option<Waker>,
    /// The producer, waiting for room.
    sender: Option<Waker>,
}

fn lock<T>(shared: &Mutex<Shared<T>>) -> MutexGuard<'_, Shared<T>> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// A buffer of at most `capacity` items (at least one).
pub(crate) fn buffer<T>(capacity: usize) -> (BufferSender<T>, BufferReceiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        items: VecDeque::new(),
        capacity: capacity.max(1),
        sender_gone: false,
        receiver_gone: false,
        receiver: None,
        sender: None,
    }));
    (BufferSender(shared.clone()), BufferReceiver(shared))
}

/// The producer's end.
pub(crate) struct BufferSender<T>(Arc<Mutex<Shared<T>>>);

impl<T> BufferSender<T> {
    /// Waits for room, then adds `item`; gives it back once the reader is gone.
    pub(crate) async fn send(&self, item: T) -> Result<(), T> {
        let mut item = Some(item);
        std::future::poll_fn(|cx| self.poll_send(cx, &mut item)).await
    }

    fn poll_send(&self, cx: &mut Context<'_>, item: &mut Option<T>) -> Poll<Result<(), T>> {
        let mut shared = lock(&self.0);
        let Some(value) = item.take() else {
            return Poll::Ready(Ok(()));
        };
        if shared.receiver_gone {
            return Poll::Ready(Err(value));
        }
        if shared.items.len() < shared.capacity {
            shared.items.push_back(value);
            let reader = shared.receiver.take();
            drop(shared);
            if let Some(reader) = reader {
                reader.wake();
            }
            return Poll::Ready(Ok(()));
        }
        *item = Some(value);
        match &mut shared.sender {
            Some(waker) => waker.clone_from(cx.waker()),
            none => *none = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for BufferSender<T> {
    fn drop(&mut self) {
        let mut shared = lock(&self.0);
        shared.sender_gone = true;
        let reader = shared.receiver.take();
        drop(shared);
        if let Some(reader) = reader {
            reader.wake();
        }
    }
}

/// The reader's end.
pub(crate) struct BufferReceiver<T>(Arc<Mutex<Shared<T>>>);

impl<T> BufferReceiver<T> {
    /// The next item; `None` once the producer is gone and every item was read.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut shared = lock(&self.0);
        if let Some(item) = shared.items.pop_front() {
            let producer = shared.sender.take();
            drop(shared);
            if let Some(producer) = producer {
                producer.wake();
            }
            return Poll::Ready(Some(item));
        }
        if shared.sender_gone {
            return Poll::Ready(None);
        }
        match &mut shared.receiver {
            Some(waker) => waker.clone_from(cx.waker()),
            none => *none = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Forgets the reader's waker: for a reader about to poll the producer itself and read
    /// right after, which then needs no wake-up for what the producer adds.
    pub(crate) fn unregister(&mut self) {
        lock(&self.0).receiver = None;
    }
}

impl<T> Drop for BufferReceiver<T> {
    fn drop(&mut self) {
        let mut shared = lock(&self.0);
        shared.receiver_gone = true;
        let items = std::mem::take(&mut shared.items);
        let producer = shared.sender.take();
        drop(shared);
        drop(items);
        if let Some(producer) = producer {
            producer.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_in_order_bounded_then_the_end() {
        let (sender, mut receiver) = buffer::<u32>(2);
        sender.send(1).await.unwrap();
        sender.send(2).await.unwrap();
        // Full: the third waits.
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut third = Some(3);
        assert!(sender.poll_send(&mut cx, &mut third).is_pending());
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(1)));
        assert_eq!(sender.poll_send(&mut cx, &mut third), Poll::Ready(Ok(())));
        drop(sender);
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(2)));
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(Some(3)));
        assert_eq!(receiver.poll_recv(&mut cx), Poll::Ready(None));
    }

    #[tokio::test]
    async fn a_gone_reader_gives_items_back_and_frees_the_buffer() {
        let (sender, receiver) = buffer::<String>(4);
        sender.send("a".to_owned()).await.unwrap();
        drop(receiver);
        assert_eq!(sender.send("b".to_owned()).await, Err("b".to_owned()));
    }

    #[tokio::test]
    async fn a_waiting_producer_is_woken_by_a_read_and_by_the_reader_leaving() {
        let (sender, mut receiver) = buffer::<u32>(1);
        sender.send(1).await.unwrap();
        let producer = tokio::spawn(async move {
            let first = sender.send(2).await;
            let second = sender.send(3).await;
            (first, second)
        });
        let item = std::future::poll_fn(|cx| receiver.poll_recv(cx)).await;
        assert_eq!(item, Some(1));
        let item = std::future::poll_fn(|cx| receiver.poll_recv(cx)).await;
        assert_eq!(item, Some(2));
        // The producer now waits for room for 3 only if the buffer is full; either way the
        // reader leaving ends its wait.
        drop(receiver);
        let (first, second) = tokio::time::timeout(std::time::Duration::from_secs(5), producer)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first, Ok(()));
        assert!(second == Ok(()) || second == Err(3));
    }
}
