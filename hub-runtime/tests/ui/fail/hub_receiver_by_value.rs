pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn echo(self, text: String) -> String {
        text
    }
}

fn main() {}
