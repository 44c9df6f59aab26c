pub trait Pinger {
    fn ping(&self);
}

pub struct MyHub;

#[hub_runtime::hub]
impl Pinger for MyHub {
    fn ping(&self) {}
}

fn main() {}
