#[hub_runtime::client]
pub trait MyClient {
    async fn receive_message(&self, text: String) {
        let _ = text;
    }
}

fn main() {}
