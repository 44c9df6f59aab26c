//! Names in a hub's module: its exports, and the members and parameters of its methods.

use std::collections::BTreeMap;

use crate::Error;
use crate::model::{Hub, Param};
use crate::typescript::names::{binding, camel, constant};

/// `ChatHubProxy`.
pub(in crate::typescript) fn proxy_name(hub: &Hub) -> String {
    format!("{}Proxy", hub.name)
}

/// `registerChatClient`.
pub(in crate::typescript) fn register_name(hub: &Hub) -> String {
    format!("register{}", hub.client_name)
}

/// `CHAT_HUB_PATH`: the constant of the hub's URL path.
pub(in crate::typescript) fn path_constant_name(hub: &Hub) -> String {
    format!("{}_PATH", constant(&hub.name))
}

/// `createChatHubConnection`: the connection factory.
pub(in crate::typescript) fn factory_name(hub: &Hub) -> String {
    format!("create{}Connection", hub.name)
}

/// The names of one side's methods (the proxy's, or the receiver's): a member and parameter
/// names for each, in model order.
pub(super) struct MethodNames {
    pub(super) members: Vec<String>,
    pub(super) params: Vec<Vec<String>>,
}

/// camelCase member names, made distinct from `reserved`; two that are still equal are an error.
pub(super) fn member_names<'m>(
    methods: impl Iterator<Item = &'m str>,
    reserved: &[&str],
    location: impl Fn(&str) -> String,
    attribute: &str,
) -> Result<Vec<String>, Error> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut names = Vec::new();
    for method in methods {
        let mut name = camel(method);
        while reserved.contains(&name.as_str()) {
            name.push('_');
        }
        if let Some(previous) = seen.insert(name.clone(), method) {
            return Err(Error {
                location: location(method),
                message: format!(
                    "its TypeScript name would be `{name}`, as that of `{previous}`: give one another wire name with `{attribute}`"
                ),
            });
        }
        names.push(name);
    }
    Ok(names)
}

/// Parameter names: camelCase, distinct, none in `taken` or reserved.
pub(super) fn param_names(params: &[Param], taken: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for param in params {
        let mut avoid: Vec<&str> = taken.to_vec();
        avoid.extend(names.iter().map(String::as_str));
        let name = binding(&param.name, &avoid);
        names.push(name);
    }
    names
}
