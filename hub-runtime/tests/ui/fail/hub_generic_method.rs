pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn echo<T: serde::de::DeserializeOwned + serde::Serialize>(&self, value: T) -> T {
        value
    }
}

fn main() {}
