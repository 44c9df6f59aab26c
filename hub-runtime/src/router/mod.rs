//! Mapping endpoints on axum: a hub ([`HubRouter`]) or a plain connection handler
//! ([`ConnectionRouter`]), as routes to merge, or as a tower layer or service; and
//! case-insensitive endpoint paths.

mod connection;
mod endpoint;
mod explorer;
mod hub;
mod paths;
mod serve;
mod service;

pub use connection::{ConnectionRouter, EndpointShutdown};
pub use hub::HubRouter;
pub use paths::{CaseInsensitive, CaseInsensitivePaths};
pub use serve::{Serve, serve};
pub use service::{HubLayer, HubService};
