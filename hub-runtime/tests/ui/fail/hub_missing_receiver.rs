pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn echo(text: String) -> String {
        text
    }
}

fn main() {}
