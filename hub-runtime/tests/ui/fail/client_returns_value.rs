#[hub_runtime::client]
pub trait MyClient {
    async fn get_name(&self) -> String;
}

fn main() {}
