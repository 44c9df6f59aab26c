//! Whom a message is for.

/// The recipients of a message, as the proxies name them (ASP.NET's `Clients.All`,
/// `Clients.Group(..)`...). Connection ids, group names and user ids are kept as given.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Every connection.
    All,
    /// Every connection but these.
    AllExcept(Vec<Box<str>>),
    /// One connection.
    Connection(Box<str>),
    /// These connections (once each).
    Connections(Vec<Box<str>>),
    /// The members of a group.
    Group(Box<str>),
    /// The members of any of these groups (once each).
    Groups(Vec<Box<str>>),
    /// The members of a group but these connections.
    GroupExcept(Box<str>, Vec<Box<str>>),
    /// The connections of a user.
    User(Box<str>),
    /// The connections of any of these users (once each).
    Users(Vec<Box<str>>),
}
