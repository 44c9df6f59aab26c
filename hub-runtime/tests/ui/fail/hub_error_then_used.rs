// A hub with one mistake, mounted on a router: the mistake is the only error reported.
use hub_runtime::prelude::*;

pub struct Pinger;

#[hub_runtime::hub]
impl Pinger {
    pub fn ping(self) -> u32 {
        1
    }
}

fn main() {
    let _router: axum::Router = axum::Router::new().merge(HubRouter::new("/ping", Pinger));
}
