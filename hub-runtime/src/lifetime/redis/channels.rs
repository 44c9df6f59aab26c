//! The names of the backplane's channels, as ASP.NET Core's Redis backplane names them
//! (`RedisChannels`): `{prefix}{hub}:all`, `:connection:{id}`, `:group:{name}`, `:user:{id}`,
//! `:internal:groups`, `:internal:ack:{server}`, `:internal:return:{server}`. The prefix is
//! what ASP.NET's `ChannelPrefix` option puts in front (nothing by default) and `{hub}` the hub
//! class's full .NET name.

/// Which channel a message came on, for a channel of this hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel<'a> {
    All,
    GroupCommands,
    Ack,
    Return,
    /// Presence questions to every server (this server's own channel, not ASP.NET's).
    Presence,
    /// Answers to this server's presence questions.
    PresenceReply,
    Connection(&'a str),
    Group(&'a str),
    User(&'a str),
}

/// The channel names of one hub on one server.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    base: String,
    all: String,
    group_commands: String,
    ack: String,
    ret: String,
    presence: String,
    presence_reply: String,
    flush: String,
}

impl Channels {
    /// The channels of hub `hub` (its .NET full name) for server `server`.
    pub(crate) fn new(prefix: &str, hub: &str, server: &str) -> Self {
        let base = format!("{prefix}{hub}");
        Channels {
            all: format!("{base}:all"),
            group_commands: format!("{base}:internal:groups"),
            ack: format!("{base}:internal:ack:{server}"),
            ret: format!("{base}:internal:return:{server}"),
            presence: format!("{base}:internal:presence"),
            presence_reply: format!("{base}:internal:presence:{server}"),
            flush: format!("{base}:internal:flush:{server}"),
            base,
        }
    }

    pub(crate) fn all(&self) -> &str {
        &self.all
    }

    pub(crate) fn group_commands(&self) -> &str {
        &self.group_commands
    }

    /// This server's channel for client results.
    pub(crate) fn own_return(&self) -> &str {
        &self.ret
    }

    pub(crate) fn presence(&self) -> &str {
        &self.presence
    }

    pub(crate) fn own_presence_reply(&self) -> &str {
        &self.presence_reply
    }

    /// Another server's acknowledgement channel.
    pub(crate) fn ack(&self, server: &str) -> String {
        format!("{}:internal:ack:{server}", self.base)
    }

    /// A channel nobody listens on: publishing on it behind everything else tells when all of
    /// that went out.
    pub(crate) fn own_flush(&self) -> &str {
        &self.flush
    }

    pub(crate) fn presence_reply(&self, server: &str) -> String {
        format!("{}:internal:presence:{server}", self.base)
    }

    pub(crate) fn connection(&self, id: &str) -> String {
        format!("{}:connection:{id}", self.base)
    }

    pub(crate) fn group(&self, name: &str) -> String {
        format!("{}:group:{name}", self.base)
    }

    pub(crate) fn user(&self, id: &str) -> String {
        format!("{}:user:{id}", self.base)
    }

    /// The channels every server of the hub listens on from the start.
    pub(crate) fn core(&self) -> [&str; 5] {
        [
            &self.all,
            &self.group_commands,
            &self.ack,
            &self.ret,
            &self.presence,
        ]
    }

    /// Which of this hub's channels `name` is, if it is one.
    pub(crate) fn parse<'a>(&self, name: &'a str) -> Option<Channel<'a>> {
        if name == self.all {
            return Some(Channel::All);
        }
        if name == self.group_commands {
            return Some(Channel::GroupCommands);
        }
        if name == self.ack {
            return Some(Channel::Ack);
        }
        if name == self.ret {
            return Some(Channel::Return);
        }
        if name == self.presence {
            return Some(Channel::Presence);
        }
        if name == self.presence_reply {
            return Some(Channel::PresenceReply);
        }
        let rest = name.strip_prefix(self.base.as_str())?;
        if let Some(id) = rest.strip_prefix(":connection:") {
            return Some(Channel::Connection(id));
        }
        if let Some(group) = rest.strip_prefix(":group:") {
            return Some(Channel::Group(group));
        }
        if let Some(user) = rest.strip_prefix(":user:") {
            return Some(Channel::User(user));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_aspnet() {
        let channels = Channels::new("", "ChatSample.Hubs.ChatHub", "host_0a1b");
        assert_eq!(channels.all(), "ChatSample.Hubs.ChatHub:all");
        assert_eq!(
            channels.group_commands(),
            "ChatSample.Hubs.ChatHub:internal:groups"
        );
        assert_eq!(
            channels.ack("host_0a1b"),
            "ChatSample.Hubs.ChatHub:internal:ack:host_0a1b"
        );
        assert_eq!(
            channels.own_return(),
            "ChatSample.Hubs.ChatHub:internal:return:host_0a1b"
        );
        assert_eq!(
            channels.connection("c1"),
            "ChatSample.Hubs.ChatHub:connection:c1"
        );
        assert_eq!(channels.group("g:1"), "ChatSample.Hubs.ChatHub:group:g:1");
        assert_eq!(channels.user("u"), "ChatSample.Hubs.ChatHub:user:u");
        let prefixed = Channels::new("app1", "Hub", "s");
        assert_eq!(prefixed.all(), "app1Hub:all");
    }

    #[test]
    fn parse_reads_back_every_channel() {
        let channels = Channels::new("p", "Hub", "s");
        assert_eq!(channels.parse("pHub:all"), Some(Channel::All));
        assert_eq!(channels.parse(&channels.ack("s")), Some(Channel::Ack));
        assert_eq!(channels.parse(&channels.ack("other")), None);
        assert_eq!(
            channels.parse("pHub:internal:return:s"),
            Some(Channel::Return)
        );
        assert_eq!(
            channels.parse(&channels.group("a:connection:b")),
            Some(Channel::Group("a:connection:b"))
        );
        assert_eq!(
            channels.parse(&channels.connection("x")),
            Some(Channel::Connection("x"))
        );
        assert_eq!(
            channels.parse(&channels.user("u")),
            Some(Channel::User("u"))
        );
        assert_eq!(channels.parse("OtherHub:all"), None);
    }
}
