//! `#[authorize]` where it means nothing, and arguments it does not know.

use hub_runtime::prelude::*;

pub struct Hooks;

#[hub_runtime::hub]
impl Hooks {
    #[authorize]
    async fn on_connected(&self) {}

    #[authorize(roles = "Admin")]
    fn helper(&self) {}

    #[authorize(role = "Admin")]
    #[hub(skip)]
    pub fn skipped(&self) {}

    #[authorize(users = "ada")]
    pub fn unknown_key(&self) {}

    #[authorize(roles = "")]
    pub fn empty_role(&self) {}

    #[authorize(policy = 42)]
    pub fn not_a_string(&self) {}
}

#[authorize]
pub fn not_a_hub() {}

#[authorize]
impl Hooks {
    pub fn not_a_hub_impl(&self) {}
}

fn main() {}
