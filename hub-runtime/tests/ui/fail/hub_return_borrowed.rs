// A returned value is sent after the call: it cannot borrow from the hub.
pub struct NameHub {
    name: String,
}

#[hub_runtime::hub]
impl NameHub {
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn main() {}
