// The context is taken by reference; by value it would be read as an argument from the client.
use hub_runtime::prelude::*;

pub struct MyHub;

#[hub_runtime::hub]
impl MyHub {
    pub fn whoami(&self, ctx: Ctx<Self>) -> String {
        ctx.connection_id().to_string()
    }
}

fn main() {}
