#[hub_runtime::client]
pub trait MyClient {
    async fn receive_message(&self, text: String);
    #[client(rename = "receiveMessage")]
    async fn receive_other(&self, text: String);
}

fn main() {}
