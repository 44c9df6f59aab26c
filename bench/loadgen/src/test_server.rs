//! The bench hub server for the live tests: `HUB_BENCH_BIN`, or the release build beside this
//! crate (`cargo build --release --manifest-path bench/Cargo.toml -p hub-bench`).

use std::io::BufRead as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server process, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the bench hub on a free port and waits until it listens.
pub fn start_server() -> Server {
    let binary = std::env::var_os("HUB_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/hub-bench")
        });
    assert!(
        binary.exists(),
        "{} does not exist: build the bench hub server first with \
         `cargo build --release --manifest-path bench/Cargo.toml -p hub-bench` \
         (or point HUB_BENCH_BIN at it)",
        binary.display()
    );
    let mut child = Command::new(&binary)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut server = Server {
        child,
        addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
    };
    let (lines, line) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end so the server never blocks on a full pipe.
        for text in std::io::BufReader::new(stdout).lines() {
            let Ok(text) = text else { break };
            let _ = lines.send(text);
        }
    });
    loop {
        let text = line
            .recv_timeout(Duration::from_secs(20))
            .expect("the server did not print `listening on http://ADDR`");
        if let Some(addr) = text.strip_prefix("listening on http://") {
            server.addr = addr.trim().parse().expect("the address printed");
            return server;
        }
    }
}
