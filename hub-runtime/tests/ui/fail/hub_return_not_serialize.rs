pub struct Reply {
    pub text: String,
}

pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn ask(&self, text: String) -> Reply {
        Reply { text }
    }
}

fn main() {}
