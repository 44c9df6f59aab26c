//! A parameter type that serde handles but the manifest cannot describe: the error names the
//! parameter.

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Message {
    pub text: String,
}

pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn send(&self, id: u32, message: Message) {
        let _ = (id, message.text);
    }
}

fn main() {}
