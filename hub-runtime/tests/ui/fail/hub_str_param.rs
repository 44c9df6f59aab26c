pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn echo(&self, text: &str) -> String {
        text.to_owned()
    }
}

fn main() {}
