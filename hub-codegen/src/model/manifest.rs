//! Reading a manifest: its named types, then its hubs and their methods.

use hub_schema::{HubManifest, Manifest};
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
