#[hub_runtime::client]
pub trait MyClient {
    async fn ping(&self);
}

pub struct MyHub;

#[hub_runtime::hub(clinet = MyClient)]
impl MyHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {}
