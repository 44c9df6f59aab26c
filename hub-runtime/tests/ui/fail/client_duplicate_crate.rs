#[hub_runtime::client(crate = "hub_runtime", crate = "::hub_runtime")]
pub trait MyClient {
    async fn ping(&self);
}

fn main() {}
