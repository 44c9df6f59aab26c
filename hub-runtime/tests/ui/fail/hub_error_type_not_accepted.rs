// A hub method's error is a `HubError`, a message (`String`, `&'static str`) or a
// `std::error::Error`: the error lands on the error type.
pub struct Oops;

pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn parse(&self, text: String) -> Result<u32, Oops> {
        text.parse().map_err(|_| Oops)
    }
}

fn main() {}
