pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    #[hub(renmae = "Echo2")]
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {}
