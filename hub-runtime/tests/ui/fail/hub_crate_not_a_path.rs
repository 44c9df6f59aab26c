pub struct MyHub;

#[hub_runtime::hub(crate = "hub runtime")]
impl MyHub {
    pub fn echo(&self, text: String) -> String {
        text
    }
}

fn main() {}
