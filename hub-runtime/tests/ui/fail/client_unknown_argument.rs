#[hub_runtime::client(krate = "hub_runtime")]
pub trait MyClient {
    async fn ping(&self);
}

fn main() {}
