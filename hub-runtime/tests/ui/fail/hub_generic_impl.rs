pub struct MyHub<T> {
    value: T,
}

#[hub_runtime::hub]
impl<T: Send + Sync + 'static> MyHub<T> {
    pub fn ping(&self) {}
}

fn main() {}
