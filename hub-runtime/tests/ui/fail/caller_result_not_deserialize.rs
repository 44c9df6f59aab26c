// A hub whose result type is only `Serialize` compiles (the server never decodes it), but a
// client that awaits the call is told the result must be `Deserialize`.

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Report {
    pub lines: u32,
}

pub struct ReportHub;

#[hub_runtime::hub]
impl ReportHub {
    pub fn report(&self) -> Report {
        Report { lines: 1 }
    }
}

pub async fn call(connection: impl hub_runtime::remote::HubCaller) {
    let hub = ReportHubCaller::new(connection);
    let _ = hub.report().await;
}

fn main() {}
