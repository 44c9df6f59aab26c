//! The streaming example: server-to-client streams, client-to-server streams and client results
//! at `/hubs/streaming`, and an HTTP endpoint that asks a client a question through `HubContext`.
//! The binary serves [`app`].
//!
//! `GET /api/streams/active` answers how many stream producers are running: with it one can see
//! that a cancelled stream, or the stream of a client that left, stops at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use futures_util::{Stream, StreamExt, stream};
use hub_runtime::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What the server calls on streaming clients.
#[hub_runtime::client]
pub trait StreamingClient {
    /// Asks the user a yes/no question: a client result.
    async fn confirm(&self, question: String) -> bool;
}

/// One quote of [`StreamingHub::stream_stock_prices`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StockPrice {
    /// The ticker symbol.
    pub symbol: String,
    /// The price.
    pub price: f64,
    /// When, RFC 3339.
    #[schemars(extend("format" = "date-time"))]
    pub timestamp: String,
}

/// The streaming hub. It counts its running stream producers.
#[derive(Default)]
pub struct StreamingHub {
    producers: Arc<AtomicUsize>,
}

/// Counts one running producer; dropped with the stream, when it ends or is cancelled.
struct Producer(Arc<AtomicUsize>);

impl Producer {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Producer(count.clone())
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[hub_runtime::hub(client = StreamingClient)]
impl StreamingHub {
    /// Streams `0..count`, waiting `delay` milliseconds after each item.
    pub fn stream_counter(&self, count: u32, delay: u64) -> impl Stream<Item = u32> {
        let producer = Producer::start(&self.producers);
        stream::unfold((0, producer), move |(next, producer)| async move {
            if next >= count {
                return None;
            }
            if next > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            Some((next, (next + 1, producer)))
        })
    }

    /// An endless stream of prices: one item per symbol per second, until cancelled.
    pub fn stream_stock_prices(&self, symbols: Vec<String>) -> impl Stream<Item = StockPrice> {
        let producer = Producer::start(&self.producers);
        let prices: Vec<(String, f64)> = symbols
            .into_iter()
            .map(|symbol| {
                let start = 50.0 + (symbol.bytes().map(f64::from).sum::<f64>() % 150.0);
                (symbol, start)
            })
            .collect();
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        stream::unfold(
            (ticks, prices, 0u64, producer),
            |(mut ticks, mut prices, round, producer)| async move {
                ticks.tick().await;
                let timestamp = now_rfc3339();
                let quotes: Vec<StockPrice> = prices
                    .iter_mut()
                    .enumerate()
                    .map(|(i, (symbol, price))| {
                        *price = next_price(*price, round.wrapping_add(i as u64));
                        StockPrice {
                            symbol: symbol.clone(),
                            price: *price,
                            timestamp: timestamp.clone(),
                        }
                    })
                    .collect();
                Some((stream::iter(quotes), (ticks, prices, round + 1, producer)))
            },
        )
        .flatten()
    }

    /// Counts the items of an uploaded stream.
    pub async fn upload_stream(&self, mut items: ClientStream<String>) -> Result<usize, HubError> {
        let mut count = 0;
        while let Some(item) = items.next().await {
            item?;
            count += 1;
        }
        Ok(count)
    }

    /// Concatenates the items of an uploaded stream.
    pub async fn streaming_concat(
        &self,
        mut items: ClientStream<String>,
    ) -> Result<String, HubError> {
        let mut text = String::new();
        while let Some(item) = items.next().await {
            text.push_str(&item?);
        }
        Ok(text)
    }

    /// Asks the caller's `Confirm` handler and returns its answer.
    pub async fn ask_caller(&self, ctx: &Ctx<Self>, question: String) -> Result<bool, HubError> {
        Ok(ctx.clients().caller().confirm(question).await?)
    }
}

/// A deterministic random walk: prices move by up to ±1 % per tick, never below 1.
fn next_price(price: f64, seed: u64) -> f64 {
    let mixed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let unit = (mixed >> 11) as f64 / (1u64 << 53) as f64; // in [0, 1)
    let moved = price * (1.0 + (unit - 0.5) / 50.0);
    (moved * 100.0).round().max(100.0) / 100.0
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

#[derive(Clone)]
struct AppState {
    hub: HubContext<StreamingHub>,
    producers: Arc<AtomicUsize>,
}

#[derive(Deserialize)]
struct AskQuery {
    question: String,
}

/// `GET /api/ask/{connectionId}?question=...`: asks that connection's `Confirm`.
async fn ask(
    State(state): State<AppState>,
    Path(connection_id): Path<String>,
    Query(query): Query<AskQuery>,
) -> (StatusCode, String) {
    let answer = state
        .hub
        .clients()
        .client(&connection_id)
        .confirm(query.question)
        .await;
    match answer {
        Ok(answer) => (StatusCode::OK, answer.to_string()),
        Err(ClientResultError::NotConnected) => (
            StatusCode::NOT_FOUND,
            format!("No connection with id '{connection_id}'."),
        ),
        Err(ClientResultError::Timeout) => (
            StatusCode::GATEWAY_TIMEOUT,
            format!("Connection '{connection_id}' did not answer in time."),
        ),
        Err(ClientResultError::Disconnected) => (
            StatusCode::GATEWAY_TIMEOUT,
            format!("Connection '{connection_id}' closed before it answered."),
        ),
        Err(other) => (
            StatusCode::BAD_GATEWAY,
            format!("Connection '{connection_id}' failed to answer: {other}"),
        ),
    }
}

/// `GET /api/streams/active`: how many stream producers are running.
async fn active_streams(State(state): State<AppState>) -> String {
    state.producers.load(Ordering::SeqCst).to_string()
}

impl StreamingHub {
    /// The count of running stream producers, shared with the hub.
    pub fn producers(&self) -> Arc<AtomicUsize> {
        self.producers.clone()
    }
}

/// `streaming` at `/hubs/streaming` (its manifest served) with `options`.
pub fn hub(streaming: StreamingHub, options: HubOptions) -> HubRouter<StreamingHub> {
    HubRouter::new("/hubs/streaming", streaming)
        .options(options)
        .serve_manifest()
}

/// The hub, `GET /api/ask/{connectionId}?question=...` and `GET /api/streams/active`
/// (`producers`: [`StreamingHub::producers`] of the hub).
pub fn app(hub: HubRouter<StreamingHub>, producers: Arc<AtomicUsize>) -> Router {
    let state = AppState {
        hub: hub.context(),
        producers,
    };
    Router::new()
        .route("/api/ask/{connection_id}", get(ask))
        .route("/api/streams/active", get(active_streams))
        .with_state(state)
        .merge(hub)
}
