//! The generated code names everything by absolute path: it compiles in a module without the
//! implicit prelude, next to items named like the ones it uses (in the style of tarpc's
//! `proc_macro_hygene` test).

#![no_implicit_prelude]
#![allow(dead_code)]

extern crate hub_runtime as some_random_other_name;

mod shadows {
    // Names the generated code must not pick up by accident.
    pub struct Result;
    pub struct Option;
    pub struct Box;
    pub struct Arc;
    pub struct Ok;
    pub struct Err;
    pub struct Some;
    pub struct None;
    pub trait Clone {}
    pub trait Send {}
    pub trait Sized {}
    pub mod serde {}
    pub mod __private {}
}

mod hygiene {
    #![no_implicit_prelude]
    #![allow(unused_imports)]

    use super::shadows::*;

    #[::hub_runtime::client]
    pub trait ColorClient {
        async fn color_changed(&self, color: ::std::string::String);
        #[client(rename = "Reset")]
        async fn reset_all(&self, reason: &str);
        async fn ping(&self);
        async fn confirm(&self, question: ::std::string::String) -> bool;
    }

    pub struct ColorHub;

    #[::hub_runtime::hub(client = ColorClient)]
    impl ColorHub {
        pub async fn set_color(
            &self,
            ctx: &::hub_runtime::Ctx<Self>,
            color: ::std::string::String,
        ) {
            ctx.clients().all().color_changed(color).await;
            ctx.clients().caller().reset_all("changed").await;
            ctx.clients().others().ping().await;
            let _ = ctx.clients().caller().confirm(color_name()).await;
        }

        #[hub(rename = "Opposite")]
        pub fn get_opposite_color(&self, color: u8) -> u8 {
            255 - color
        }

        pub fn checked(&self, n: u32) -> ::std::result::Result<u32, ::hub_runtime::HubError> {
            ::std::result::Result::Ok(n)
        }

        pub fn message(&self, _n: u32) -> ::std::result::Result<u32, &'static str> {
            ::std::result::Result::Err("no")
        }

        pub fn io(&self) -> ::std::io::Result<()> {
            ::std::result::Result::Ok(())
        }

        #[hub(skip)]
        pub fn skipped(&self) {}

        async fn on_connected(
            &self,
            _ctx: &::hub_runtime::Ctx<Self>,
        ) -> ::std::result::Result<(), ::hub_runtime::HubError> {
            ::std::result::Result::Ok(())
        }

        async fn on_disconnected(
            &self,
            _ctx: &::hub_runtime::Ctx<Self>,
            _error: ::std::option::Option<::hub_runtime::HubError>,
        ) {
        }
    }

    fn color_name() -> ::std::string::String {
        ::std::string::String::new()
    }

    pub struct PlainHub;

    // The crate under another name works too.
    #[crate::some_random_other_name::hub]
    impl PlainHub {
        pub fn echo(&self, text: ::std::string::String) -> ::std::string::String {
            text
        }
    }
}

fn main() {
    let _ = ::hub_runtime::HubRouter::new("/colors", hygiene::ColorHub);
    let _ = some_random_other_name::HubRouter::new("/plain", hygiene::PlainHub);
}
