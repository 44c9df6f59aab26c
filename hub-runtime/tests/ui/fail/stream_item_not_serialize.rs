// The items of a server stream must be `Serialize`: the error points at the return type.
use futures_util::Stream;

pub struct Opaque;

pub struct StreamHub;

#[hub_runtime::hub]
impl StreamHub {
    pub fn items(&self) -> impl Stream<Item = Opaque> {
        futures_util::stream::iter([Opaque])
    }
}

fn main() {}
