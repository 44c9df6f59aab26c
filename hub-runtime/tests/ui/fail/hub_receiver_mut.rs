pub struct MyHub {
    count: u32,
}

#[hub_runtime::hub]
impl MyHub {
    pub fn increment(&mut self) -> u32 {
        self.count += 1;
        self.count
    }
}

fn main() {}
