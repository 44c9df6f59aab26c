#[hub_runtime::client]
pub struct ChatClient {
    pub name: String,
}

fn main() {}
