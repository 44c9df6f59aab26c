//! Sync and async hub methods, with every supported kind of return type.

use std::fmt;
use std::io;

use hub_runtime::prelude::*;
use hub_runtime::manifest::schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug)]
pub struct NotFound;

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not found")
    }
}

impl std::error::Error for NotFound {}

#[derive(Serialize, JsonSchema)]
#[schemars(crate = "hub_runtime::manifest::schemars")]
pub struct Reply {
    pub text: String,
    pub tags: Vec<String>,
}

pub struct ReturnsHub;

#[hub_runtime::hub]
impl ReturnsHub {
    pub fn sync_unit(&self) {}

    pub async fn async_unit(&self) {}

    pub fn explicit_unit(&self, _n: u8) -> () {}

    pub fn sync_value(&self, n: u64) -> u64 {
        n * 2
    }

    pub async fn async_value(&self, text: String) -> Reply {
        Reply { text, tags: Vec::new() }
    }

    pub fn static_str(&self) -> &'static str {
        "pong"
    }

    pub fn option_value(&self, n: Option<i64>) -> Option<i64> {
        n
    }

    pub fn hub_error(&self, n: i32) -> Result<i32, HubError> {
        if n < 0 {
            return Err(HubError::new("negative"));
        }
        Ok(n)
    }

    pub async fn async_hub_error(&self) -> Result<(), HubError> {
        Err(HubError::new("nope"))
    }

    /// `?` converts any `std::error::Error` into `HubError`.
    pub fn std_error(&self, text: String) -> Result<(), NotFound> {
        if text.is_empty() { Err(NotFound) } else { Ok(()) }
    }

    pub fn question_mark(&self, text: String) -> Result<u32, HubError> {
        let n: u32 = text.parse()?;
        Ok(n)
    }

    pub async fn question_mark_custom(&self, found: bool) -> Result<(), HubError> {
        let () = if found { Ok(()) } else { Err(NotFound) }?;
        Ok(())
    }

    pub fn io_result(&self) -> io::Result<Vec<u8>> {
        Ok(vec![1, 2, 3])
    }

    pub async fn async_io_unit(&self) -> io::Result<()> {
        Err(io::Error::other("disk"))
    }

    pub fn fully_qualified(&self) -> std::result::Result<String, std::num::ParseIntError> {
        Ok(String::new())
    }
}

fn main() {}
