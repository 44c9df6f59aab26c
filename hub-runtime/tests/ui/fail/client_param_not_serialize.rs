// A client method parameter must be `Serialize`: the error points at its type.

pub struct Opaque;

#[hub_runtime::client]
pub trait OpaqueClient {
    async fn receive(&self, value: Opaque);
}

fn main() {}
