#[hub_runtime::client]
pub trait MyClient {
    async fn ping(&self);
    fn receive_message(&self, text: String);
}

fn main() {}
