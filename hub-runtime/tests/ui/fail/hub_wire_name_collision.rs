pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn foo(&self) {}

    #[hub(rename = "FOO")]
    pub fn bar(&self) {}
}

fn main() {}
