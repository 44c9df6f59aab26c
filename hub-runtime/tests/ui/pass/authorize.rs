//! `#[authorize]` above `#[hub]`, below it, on methods; every argument form; and what it gives
//! the runtime and the manifest.

use hub_runtime::Hub;
use hub_runtime::auth::Requirement;
use hub_runtime::prelude::*;

pub struct Above;

#[authorize(roles = "Member")]
#[hub_runtime::hub]
impl Above {
    pub fn read(&self) {}
}

pub struct Below;

#[hub_runtime::hub]
#[hub_runtime::authorize]
#[authorize(policy = "verified")]
impl Below {
    #[authorize(roles = "Admin, Ops")]
    pub fn restart(&self) {}

    #[authorize(roles = ["Admin", "Auditor"], policies = ["business-hours", "mfa"])]
    #[authorize(role = "Lead")]
    pub fn audit(&self) {}

    pub fn open(&self) {}
}

fn main() {
    assert_eq!(
        Above::AUTHORIZE,
        &[Requirement { roles: &["Member"], policies: &[] }]
    );
    assert_eq!(
        Below::AUTHORIZE,
        &[
            Requirement { roles: &[], policies: &[] },
            Requirement { roles: &[], policies: &["verified"] },
        ]
    );
    let methods = <Below as Hub>::METHODS;
    assert_eq!(
        methods[0].authorize,
        &[Requirement { roles: &["Admin", "Ops"], policies: &[] }]
    );
    assert_eq!(
        methods[1].authorize,
        &[
            Requirement { roles: &["Admin", "Auditor"], policies: &["business-hours", "mfa"] },
            Requirement { roles: &["Lead"], policies: &[] },
        ]
    );
    assert!(methods[2].authorize.is_empty());
    let manifest = Below::manifest();
    let json: serde_json::Value = serde_json::from_str(&manifest.to_json_pretty()).unwrap();
    assert_eq!(json["hubs"][0]["authorize"], serde_json::json!([{}, {"policies": ["verified"]}]));
    assert_eq!(json["hubs"][0]["methods"][0]["authorize"], serde_json::json!([{"roles": ["Admin", "Ops"]}]));
    assert!(json["hubs"][0]["methods"][2].get("authorize").is_none());
}
