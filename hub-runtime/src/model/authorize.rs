//! Authorization: what `#[authorize]` asks of a connection's user, the named policies an app
//! registers, and the verdict.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::connection::{Access, RequestInfo, User};
use serde::de::DeserializeOwned;

use crate::protocol::{ArgumentError, ArgumentValue, decode_argument};

/// One `#[authorize(...)]` attribute, as `#[hub]` generates it: an authenticated user, in one
/// of `roles` when any are named, for whom every policy in `policies` allows.
///
/// Several requirements (on the hub and on a method, or several attributes) must all be met,
/// as several `[Authorize]` attributes in ASP.NET Core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The user must have one of these roles (none named: any authenticated user).
    pub roles: &'static [&'static str],
    /// Names of policies registered with
    /// [`HubOptions::policy`](crate::HubOptions::policy); each must allow.
    pub policies: &'static [&'static str],
}

/// What a policy is asked about: the user, the request that opened the connection, and for a
/// hub method, the call.
pub struct AuthorizationContext<'a> {
    user: &'a User,
    request: &'a RequestInfo,
    call: Option<MethodCall<'a>>,
}

/// A hub method call a policy is asked about.
#[derive(Clone, Copy)]
pub struct MethodCall<'a> {
    method: &'a str,
    arguments: &'a [ArgumentValue<'a>],
}

impl<'a> MethodCall<'a> {
    pub(crate) fn new(method: &'a str, arguments: &'a [ArgumentValue<'a>]) -> Self {
        MethodCall { method, arguments }
    }

    /// The method's wire name (`SendAdminMessage`).
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// How many arguments the client sent.
    pub fn argument_count(&self) -> usize {
        self.arguments.len()
    }

    /// Decodes argument `index` (from 0) into `T`, as the method's parameter would be.
    pub fn argument<T: DeserializeOwned>(&self, index: usize) -> Result<T, ArgumentError> {
        decode_argument(self.arguments, index)
    }
}

impl<'a> AuthorizationContext<'a> {
    pub(crate) fn new(
        user: &'a User,
        request: &'a RequestInfo,
        call: Option<MethodCall<'a>>,
    ) -> Self {
        AuthorizationContext {
            user,
            request,
            call,
        }
    }

    /// The authenticated user.
    pub fn user(&self) -> &'a User {
        self.user
    }

    /// The HTTP request: for a hub method, the one that opened the connection; when the
    /// connection is opened, the negotiate or connect request itself.
    pub fn request(&self) -> &'a RequestInfo {
        self.request
    }

    /// The hub method call, when a method is invoked; `None` when the connection is opened.
    pub fn call(&self) -> Option<MethodCall<'a>> {
        self.call
    }
}

type PolicyFn = dyn Fn(&AuthorizationContext<'_>) -> bool + Send + Sync;

/// The named policies of a hub: functions of the user and, for methods, the call.
#[derive(Clone, Default)]
pub(crate) struct Policies(HashMap<Box<str>, Arc<PolicyFn>>);

impl fmt::Debug for Policies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Policies {
    pub(crate) fn insert(
        &mut self,
        name: &str,
        policy: impl Fn(&AuthorizationContext<'_>) -> bool + Send + Sync + 'static,
    ) {
        self.0.insert(name.into(), Arc::new(policy));
    }

    /// The first name in `requirements` no policy is registered under.
    pub(crate) fn missing<'r>(&self, requirements: &'r [Requirement]) -> Option<&'r str> {
        requirements
            .iter()
            .flat_map(|requirement| requirement.policies.iter().copied())
            .find(|name| !self.0.contains_key(*name))
    }
}

/// Checks `requirements` (all of them) for `user`. A policy that is not registered refuses
/// (the router checks at start that every named one is).
pub(crate) fn authorize<'a>(
    requirements: &[Requirement],
    policies: &Policies,
    user: Option<&'a User>,
    request: &'a RequestInfo,
    call: Option<MethodCall<'a>>,
) -> Access {
    if requirements.is_empty() {
        return Access::Allowed;
    }
    let Some(user) = user else {
        return Access::Unauthenticated;
    };
    let context = AuthorizationContext::new(user, request, call);
    let met = |requirement: &Requirement| {
        (requirement.roles.is_empty() || requirement.roles.iter().any(|r| user.is_in_role(r)))
            && requirement
                .policies
                .iter()
                .all(|name| policies.0.get(*name).is_some_and(|policy| policy(&context)))
    };
    if requirements.iter().all(met) {
        Access::Allowed
    } else {
        Access::Forbidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY_USER: Requirement = Requirement {
        roles: &[],
        policies: &[],
    };
    const ADMIN_OR_OPS: Requirement = Requirement {
        roles: &["Admin", "Ops"],
        policies: &[],
    };
    const ADULT: Requirement = Requirement {
        roles: &[],
        policies: &["adult"],
    };

    fn policies() -> Policies {
        let mut policies = Policies::default();
        policies.insert("adult", |cx| {
            cx.user()
                .claim("age")
                .and_then(|age| age.as_u64())
                .is_some_and(|age| age >= 18)
        });
        policies.insert("no-deletes", |cx| {
            cx.call().is_none_or(|call| call.method() != "Delete")
        });
        policies
    }

    fn check(requirements: &[Requirement], user: Option<&User>) -> Access {
        authorize(
            requirements,
            &policies(),
            user,
            &RequestInfo::default(),
            None,
        )
    }

    fn aged(age: u64) -> User {
        let mut claims = serde_json::Map::new();
        claims.insert("age".into(), age.into());
        User::new("u").with_claims(claims)
    }

    #[test]
    fn nothing_required_allows_anyone() {
        assert_eq!(check(&[], None), Access::Allowed);
    }

    #[test]
    fn a_requirement_needs_a_user() {
        assert_eq!(check(&[ANY_USER], None), Access::Unauthenticated);
        assert_eq!(check(&[ANY_USER], Some(&User::new("u"))), Access::Allowed);
    }

    #[test]
    fn roles_of_one_requirement_are_alternatives() {
        let ops = User::new("u").with_roles(["Ops"]);
        let guest = User::new("u").with_roles(["Guest"]);
        assert_eq!(check(&[ADMIN_OR_OPS], Some(&ops)), Access::Allowed);
        assert_eq!(check(&[ADMIN_OR_OPS], Some(&guest)), Access::Forbidden);
        // Roles compare exactly, as ASP.NET's IsInRole.
        let lower = User::new("u").with_roles(["admin"]);
        assert_eq!(check(&[ADMIN_OR_OPS], Some(&lower)), Access::Forbidden);
    }

    #[test]
    fn every_requirement_must_be_met() {
        let adult_guest = aged(30).with_roles(["Guest"]);
        let adult_admin = aged(30).with_roles(["Admin"]);
        let young_admin = aged(12).with_roles(["Admin"]);
        let both = [ADMIN_OR_OPS, ADULT];
        assert_eq!(check(&both, Some(&adult_guest)), Access::Forbidden);
        assert_eq!(check(&both, Some(&young_admin)), Access::Forbidden);
        assert_eq!(check(&both, Some(&adult_admin)), Access::Allowed);
    }

    #[test]
    fn policies_see_the_call() {
        const NO_DELETES: Requirement = Requirement {
            roles: &[],
            policies: &["no-deletes"],
        };
        let user = User::new("u");
        let request = RequestInfo::default();
        let verdict = |method| {
            authorize(
                &[NO_DELETES],
                &policies(),
                Some(&user),
                &request,
                Some(MethodCall::new(method, &[])),
            )
        };
        assert_eq!(verdict("Delete"), Access::Forbidden);
        assert_eq!(verdict("Read"), Access::Allowed);
    }

    #[test]
    fn an_unregistered_policy_refuses_and_is_reported() {
        const UNKNOWN: Requirement = Requirement {
            roles: &[],
            policies: &["nobody-registered-me"],
        };
        assert_eq!(check(&[UNKNOWN], Some(&aged(40))), Access::Forbidden);
        assert_eq!(
            policies().missing(&[ADULT, UNKNOWN]),
            Some("nobody-registered-me")
        );
        assert_eq!(policies().missing(&[ADULT, ANY_USER]), None);
    }
}
