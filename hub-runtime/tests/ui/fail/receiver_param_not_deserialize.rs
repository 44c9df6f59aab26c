// A client trait whose parameter is only `Serialize` compiles (the server only sends it), but
// its handlers cannot be made for a receiver: the argument must be `Deserialize`.

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Note {
    pub text: String,
}

#[hub_runtime::client]
pub trait NoteClient {
    async fn note(&self, note: Note);
}

struct Printer;

impl NoteClient for Printer {
    async fn note(&self, _note: Note) {}
}

fn main() {
    let _ = hub_runtime::remote::Handlers::of::<NoteClientProxy, _>(Printer);
}
