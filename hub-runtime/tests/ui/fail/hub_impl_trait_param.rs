pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn echo(&self, text: impl Into<String>) -> String {
        text.into()
    }
}

fn main() {}
