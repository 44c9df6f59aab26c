// A client calls only the methods the hub has.

pub struct ChatHub;

#[hub_runtime::hub]
impl ChatHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

pub async fn call(connection: impl hub_runtime::remote::HubCaller) {
    let hub = ChatHubCaller::new(connection);
    let _ = hub.ecko("hello".to_owned()).await;
}

fn main() {}
