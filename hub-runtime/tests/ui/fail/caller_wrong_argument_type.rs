// A client calls a hub method through its generated caller with the hub method's argument
// types: a wrong type does not compile.

pub struct ChatHub;

#[hub_runtime::hub]
impl ChatHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

pub async fn call(connection: impl hub_runtime::remote::HubCaller) {
    let hub = ChatHubCaller::new(connection);
    let _ = hub.echo(42).await;
}

fn main() {}
