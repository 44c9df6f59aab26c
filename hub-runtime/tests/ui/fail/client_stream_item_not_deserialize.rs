// The items of an upload stream must be `Deserialize`: the error points at the parameter type.
use hub_runtime::ClientStream;

pub struct Opaque;

pub struct UploadHub;

#[hub_runtime::hub]
impl UploadHub {
    pub async fn upload(&self, items: ClientStream<Opaque>) {
        drop(items);
    }
}

fn main() {}
