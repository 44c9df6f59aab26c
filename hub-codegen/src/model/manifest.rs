//! Reading a manifest: its named types, then its hubs and their methods.

use hub_schema::{HubManifest, Manifest, Requirement};
use serde_json::Value;

use super::error::{Error, error};
use super::names::identifier;
use super::reader::Reader;
use super::types::{ClientMethod, Hub, Method, Model, Param, Ty};

impl Model {
    /// Reads a manifest. Every type named in `$defs` is read, used or not.
    pub fn from_manifest(manifest: &Manifest) -> Result<Self, Error> {
        let mut reader = Reader::new(&manifest.definitions);
        for key in manifest.definitions.keys() {
            let name = reader.unique_name(&identifier(key));
            reader.names.insert(key.clone(), name);
        }
        for (key, schema) in &manifest.definitions {
            let name = reader.names[key].clone();
            let def = reader.type_def(&name, schema)?;
            reader.types.push(def);
        }
        let mut hubs = Vec::new();
        for hub in &manifest.hubs {
            hubs.push(reader.hub(hub)?);
        }
        Ok(Model {
            hubs,
            types: reader.types,
            manifest_hash: manifest.contract_hash(),
        })
    }
}

impl Reader<'_> {
    fn hub(&mut self, hub: &HubManifest) -> Result<Hub, Error> {
        let mut methods = Vec::new();
        for method in &hub.methods {
            let at = format!("{}.{}", hub.name, method.name);
            let params = self.params(&at, &method.name, &method.params)?;
            let result = self.result(&at, &method.name, method.result.as_ref())?;
            methods.push(Method {
                name: method.name.clone(),
                description: method.description.clone(),
                kind: method.kind,
                params,
                result,
                authorization: authorization("Callers need", &method.authorize),
            });
        }
        let mut client_methods = Vec::new();
        for method in &hub.client_methods {
            let at = format!("{} client method {}", hub.name, method.name);
            let params = self.params(&at, &method.name, &method.params)?;
            if params.iter().any(|param| param.stream) {
                return Err(error(&at, "client methods cannot take streams"));
            }
            let result = self.result(&at, &method.name, method.result.as_ref())?;
            client_methods.push(ClientMethod {
                name: method.name.clone(),
                description: method.description.clone(),
                params,
                result,
            });
        }
        Ok(Hub {
            name: hub.name.clone(),
            path: hub.path.clone(),
            description: hub.description.clone(),
            client_name: hub
                .client_name
                .clone()
                .unwrap_or_else(|| format!("{}Client", hub.name)),
            methods,
            client_methods,
            authorization: authorization("Every connection needs", &hub.authorize),
        })
    }

    fn params(
        &mut self,
        at: &str,
        method: &str,
        params: &[hub_schema::Param],
    ) -> Result<Vec<Param>, Error> {
        params
            .iter()
            .map(|param| {
                let ty = self.ty(
                    &format!("{at}({})", param.name),
                    &format!("{method}{}", identifier(&param.name)),
                    &param.schema,
                )?;
                Ok(Param {
                    name: param.name.clone(),
                    ty,
                    stream: param.stream,
                })
            })
            .collect()
    }

    /// A method's result type, if it has one.
    fn result(
        &mut self,
        at: &str,
        method: &str,
        schema: Option<&Value>,
    ) -> Result<Option<Ty>, Error> {
        match schema {
            Some(schema) => Ok(Some(self.ty(
                &format!("{at} result"),
                &format!("{method}Result"),
                schema,
            )?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::test_manifest::model;
    use crate::model::types::Ty;

    #[test]
    fn definition_names_become_identifiers_without_clashes() {
        let model = model(
            json!({"$ref": "#/$defs/Page%3CUser%3E"}),
            json!({
                "Page<User>": {"type": "object", "properties": {}},
                "PageUser": {"type": "string"},
                "my_type": {"type": "string"}
            }),
        )
        .unwrap();
        let names: Vec<&str> = model.types.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["PageUser", "PageUser2", "MyType"]);
        assert_eq!(
            model.hubs[0].methods[0].params[0].ty,
            Ty::Named("PageUser".into())
        );
    }
}

/// What `#[authorize]` asks, as a sentence for doc comments: `who` then the requirements, all of
/// which must be met (`None` when there are none).
fn authorization(who: &str, requirements: &[Requirement]) -> Option<String> {
    fn list(names: &[String]) -> String {
        let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
        quoted.join(", ")
    }
    if requirements.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for requirement in requirements {
        let mut part = String::from("an authenticated user");
        match requirement.roles.as_slice() {
            [] => {}
            [role] => part.push_str(&format!(" in role `{role}`")),
            roles => part.push_str(&format!(" in one of the roles {}", list(roles))),
        }
        match requirement.policies.as_slice() {
            [] => {}
            [policy] => part.push_str(&format!(" allowed by the server's policy `{policy}`")),
            policies => part.push_str(&format!(
                " allowed by the server's policies {}",
                list(policies)
            )),
        }
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    Some(format!("{who} {}.", parts.join(", and ")))
}

#[cfg(test)]
mod authorization_tests {
    use super::*;

    fn requirement(roles: &[&str], policies: &[&str]) -> Requirement {
        Requirement {
            roles: roles.iter().map(|r| r.to_string()).collect(),
            policies: policies.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn authorization_sentences() {
        assert_eq!(authorization("Callers need", &[]), None);
        assert_eq!(
            authorization("Every connection needs", &[requirement(&[], &[])]).as_deref(),
            Some("Every connection needs an authenticated user.")
        );
        assert_eq!(
            authorization("Callers need", &[requirement(&["Admin"], &[])]).as_deref(),
            Some("Callers need an authenticated user in role `Admin`.")
        );
        assert_eq!(
            authorization(
                "Callers need",
                &[
                    requirement(&["Admin", "Ops"], &["mfa"]),
                    requirement(&[], &["a", "b"])
                ]
            )
            .as_deref(),
            Some(
                "Callers need an authenticated user in one of the roles `Admin`, `Ops` allowed by the server's policy `mfa`, and an authenticated user allowed by the server's policies `a`, `b`."
            )
        );
    }
}
