//! The names of what is generated for each hub, checked for collisions.

use std::collections::BTreeSet;

use super::names::{CONVERTERS_FILE, DTOS_FILE, check_unique, identifier};
use crate::Error;
use crate::model::{Hub, Model};

/// A hub and the names of what is generated for it.
#[derive(Debug)]
pub(super) struct HubNames<'a> {
    pub(super) hub: &'a Hub,
    /// `ChatHub`.
    pub(super) name: String,
    /// C# method names, in model order (`SendMessage`).
    pub(super) methods: Vec<String>,
    /// The receiver interface's base name (`ChatClient`), when there are client methods and
    /// this hub's file declares them (hubs sharing a client declare it once).
    pub(super) client: Option<String>,
    /// C# names of the client methods.
    pub(super) client_methods: Vec<String>,
}

/// The names of each hub's code, checked.
pub(super) fn hub_names(model: &Model) -> Result<Vec<HubNames<'_>>, Error> {
    let mut hubs = Vec::new();
    let mut clients: Vec<(String, &Hub)> = Vec::new();
    let mut hub_names = BTreeSet::new();
    for hub in &model.hubs {
        let name = identifier(&hub.name);
        check_file_name(hub, &name, &mut hub_names)?;
        let methods = method_names(hub)?;
        let client_methods = client_method_names(hub)?;
        let client = client_name(hub, &mut clients)?;
        hubs.push(HubNames {
            hub,
            name,
            methods,
            client,
            client_methods,
        });
    }
    Ok(hubs)
}

/// Refuses a hub whose file (`<name>.cs`) is another hub's or a generated file's, ignoring case.
fn check_file_name(hub: &Hub, name: &str, hub_names: &mut BTreeSet<String>) -> Result<(), Error> {
    if !hub_names.insert(name.to_ascii_lowercase()) {
        return Err(Error {
            location: hub.name.clone(),
            message: format!(
                "two hubs are named `{name}` in C# (file names ignore case on some systems)"
            ),
        });
    }
    let file = format!("{name}.cs").to_ascii_lowercase();
    if [DTOS_FILE, CONVERTERS_FILE]
        .iter()
        .any(|taken| taken.to_ascii_lowercase() == file)
    {
        return Err(Error {
            location: hub.name.clone(),
            message: format!("a hub cannot be named `{name}`: `{name}.cs` holds the types"),
        });
    }
    Ok(())
}

/// C# names of the hub's methods, whose proxy members must differ.
fn method_names(hub: &Hub) -> Result<Vec<String>, Error> {
    // Proxy members: `<Name>Async` for every method, `<Name>ChannelAsync` for streams.
    let methods: Vec<String> = hub.methods.iter().map(|m| identifier(&m.name)).collect();
    let mut members: Vec<(String, String)> = Vec::new();
    for (method, cs) in hub.methods.iter().zip(&methods) {
        members.push((format!("{cs}Async"), method.name.clone()));
        if method.kind == hub_schema::MethodKind::Stream {
            members.push((format!("{cs}ChannelAsync"), method.name.clone()));
        }
    }
    check_unique(&hub.name, "hub methods", &members)?;
    Ok(methods)
}

/// C# names of the client methods, which must differ.
fn client_method_names(hub: &Hub) -> Result<Vec<String>, Error> {
    let client_methods: Vec<String> = hub
        .client_methods
        .iter()
        .map(|m| identifier(&m.name))
        .collect();
    let client_members: Vec<(String, String)> = client_methods
        .iter()
        .zip(&hub.client_methods)
        .map(|(cs, method)| (cs.clone(), method.name.clone()))
        .collect();
    check_unique(&hub.name, "client methods", &client_members)?;
    Ok(client_methods)
}

/// The receiver interface's base name when this hub's file declares it: hubs may share a
/// client (`clients`, declared so far), if its methods are the same.
fn client_name<'a>(
    hub: &'a Hub,
    clients: &mut Vec<(String, &'a Hub)>,
) -> Result<Option<String>, Error> {
    if hub.client_methods.is_empty() {
        return Ok(None);
    }
    let client = identifier(&hub.client_name);
    match clients.iter().find(|(name, _)| *name == client) {
        Some((_, other)) if other.client_methods == hub.client_methods => Ok(None),
        Some((_, other)) => Err(Error {
            location: hub.name.clone(),
            message: format!(
                "the client `{client}` of this hub and of `{}` differ: give them different client names",
                other.name
            ),
        }),
        None => {
            clients.push((client.clone(), hub));
            Ok(Some(client))
        }
    }
}
