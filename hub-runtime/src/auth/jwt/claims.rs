//! From the claims of a verified token to the [`User`].

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::error::Rejection;
use crate::connection::User;

/// The role claim of ASP.NET (`ClaimTypes.Role`), as its JWT handler writes it.
const ASP_NET_ROLE: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

/// Which claims name the user, give its display name and list its roles.
#[derive(Debug, Clone)]
pub(super) struct ClaimNames {
    pub(super) id: String,
    pub(super) name: Vec<String>,
    pub(super) roles: Vec<String>,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            id: "sub".into(),
            name: ["name", "unique_name", "preferred_username"]
                .map(Into::into)
                .into(),
            roles: ["role", "roles", ASP_NET_ROLE].map(Into::into).into(),
        }
    }
}

impl ClaimNames {
    /// The user the claims describe; every claim is kept in [`User::claims`].
    pub(super) fn user(&self, claims: Map<String, Value>) -> Result<User, Rejection> {
        let id = match claims.get(&self.id) {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(id)) => id.to_string(),
            _ => return Err(Rejection::MissingUserId(self.id.clone())),
        };
        let mut user = User::new(id);
        let name = self
            .name
            .iter()
            .find_map(|claim| claims.get(claim)?.as_str().filter(|name| !name.is_empty()));
        if let Some(name) = name {
            user = user.with_name(name);
        }
        let mut roles: Vec<&str> = Vec::new();
        for claim in &self.roles {
            match claims.get(claim) {
                Some(Value::String(role)) => roles.push(role),
                Some(Value::Array(values)) => roles.extend(values.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
        let mut seen = Vec::with_capacity(roles.len());
        roles.retain(|role| {
            let new = !seen.contains(role);
            seen.push(*role);
            new
        });
        user = user.with_roles(roles);
        if let Some(exp) = expiry(claims.get("exp")) {
            user = user.with_expiry(exp);
        }
        Ok(user.with_claims(claims))
    }
}

/// `exp` (seconds since the epoch, perhaps with a fraction) as a time.
fn expiry(exp: Option<&Value>) -> Option<SystemTime> {
    let seconds = exp?.as_f64().filter(|s| s.is_finite() && *s >= 0.0)?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(seconds).ok()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn users() {
        let names = ClaimNames::default();
        let user = names
            .user(claims(json!({
                "sub": "ada",
                "unique_name": "Ada",
                "preferred_username": "ada@example.com",
                "role": "Admin",
                "roles": ["Ops", "Admin", 7],
                ASP_NET_ROLE: ["Auditor"],
                "exp": 1_700_000_000.5,
            })))
            .unwrap();
        assert_eq!(user.id(), "ada");
        assert_eq!(user.name(), Some("Ada"));
        assert_eq!(user.roles(), ["Admin", "Ops", "Auditor"]);
        let exp = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
        assert_eq!(user.expires_at(), Some(exp));
        assert_eq!(user.claims().len(), 7);

        let numeric = names.user(claims(json!({"sub": 42}))).unwrap();
        assert_eq!(numeric.id(), "42");
        assert_eq!(numeric.name(), None);
        assert_eq!(numeric.expires_at(), None);
        for no_id in [json!({}), json!({"sub": ""}), json!({"sub": ["a"]})] {
            let error = names.user(claims(no_id)).unwrap_err();
            assert_eq!(error, Rejection::MissingUserId("sub".into()));
        }
    }
}
