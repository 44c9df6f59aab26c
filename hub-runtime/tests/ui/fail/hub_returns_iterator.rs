// A hub method streams with `impl Stream`; other `impl Trait` returns are refused.
pub struct CountHub;

#[hub_runtime::hub]
impl CountHub {
    pub fn count(&self) -> impl Iterator<Item = u32> {
        0..3
    }
}

fn main() {}
