//! The cross-node broadcast scenarios (`redis_broadcast_N`, hub only): the load of
//! `broadcast_N` run three ways in one sample, on a redis-server the runner starts for it: one
//! hub-bench in memory (the baseline), one hub-bench on Redis, and two hub-bench processes on
//! Redis with the connections split over them in turn (the sender on the first). Server CPU is
//! the sum over the hub-bench processes; Redis's own CPU is read apart, from /proc of its pid.
//! Every process of the server side (the nodes and Redis) runs on the server core.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::procs::{self, Paths, Server};
use crate::{Sample, ServerSpec, Settings, Watched};

/// The hub's name on the backplane: what hub-bench's `--redis` mounts it as.
const HUB: &str = "Bench.Hub";

/// The three ways, in the order they run: name (the metrics' suffix), nodes, on Redis.
const VARIANTS: [(&str, usize, bool); 3] = [
    ("memory", 1, false),
    ("redis_1", 1, true),
    ("redis_2", 2, true),
];

/// How long a node may take to subscribe on Redis after it printed `listening on`.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(10);

/// One sample of `redis_broadcast_{subs}`: every variant, then the ratios of the same run.
pub fn broadcast(
    paths: &Paths,
    settings: &Settings,
    spec: &ServerSpec,
    subs: usize,
    server_cpu: Option<usize>,
    load_cpu: Option<usize>,
    log: &Path,
) -> Result<Sample, String> {
    let redis = Redis::start(server_cpu, &log_named(log, "redis"))?;
    let mut sample = Sample::default();
    let result = VARIANTS
        .iter()
        .enumerate()
        .try_for_each(|(i, &(name, nodes, on_redis))| {
            if i > 0 {
                procs::drain_time_wait(Duration::from_secs(if settings.quick { 2 } else { 30 }));
            }
            let setup = Setup {
                paths,
                settings,
                spec,
                subs,
                server_cpu,
                load_cpu,
            };
            setup.variant(&mut sample, name, nodes, on_redis.then_some(&redis), log)
        });
    redis.stop();
    result?;
    let us = |name: &str| {
        sample
            .metrics
            .get(&format!("us_per_delivery_{name}"))
            .copied()
    };
    if let (Some(memory), Some(one), Some(two)) = (us("memory"), us("redis_1"), us("redis_2")) {
        sample.metrics.insert("ratio_2_nodes".into(), two / memory);
        sample
            .metrics
            .insert("ratio_1_node_redis".into(), one / memory);
    }
    Ok(sample)
}

/// What every variant of a sample shares.
struct Setup<'a> {
    paths: &'a Paths,
    settings: &'a Settings,
    spec: &'a ServerSpec,
    subs: usize,
    server_cpu: Option<usize>,
    load_cpu: Option<usize>,
}

impl Setup<'_> {
    /// Runs `nodes` hub-bench processes (on `redis` if given) under the broadcast load and puts
    /// the variant's metrics, suffixed `_{name}`, into `sample`.
    fn variant(
        &self,
        sample: &mut Sample,
        name: &str,
        nodes: usize,
        redis: Option<&Redis>,
        log: &Path,
    ) -> Result<(), String> {
        let mut servers = Vec::new();
        let result = (|| {
            for node in 1..=nodes {
                let mut args = self.spec.args.clone();
                if let Some(redis) = redis {
                    args.extend(["--redis".to_owned(), redis.url()]);
                }
                servers.push(Server::start(
                    &self.spec.program,
                    &args,
                    &self.spec.cwd,
                    self.server_cpu,
                    &log_named(log, &format!("{name}-node{node}")),
                )?);
            }
            if let Some(redis) = redis {
                redis.await_subscribers(nodes)?;
            }
            self.measure(sample, name, &servers, redis)
        })();
        for mut server in servers {
            if !server.alive() {
                sample
                    .notes
                    .push(format!("{name}: a server exited during the run"));
            }
            server.stop();
        }
        result
    }

    fn measure(
        &self,
        sample: &mut Sample,
        name: &str,
        servers: &[Server],
        redis: Option<&Redis>,
    ) -> Result<(), String> {
        let settings = self.settings;
        let addrs: Vec<&str> = servers.iter().map(|s| s.addr.as_str()).collect();
        let args = crate::loadgen_args(
            self.spec,
            &addrs.join(","),
            "broadcast",
            self.subs,
            &[
                ("--payload", "32".into()),
                ("--window", settings.broadcast_window.to_string()),
                ("--warmup-ms", settings.broadcast_warmup_ms.to_string()),
                ("--measure-ms", settings.broadcast_measure_ms.to_string()),
            ],
        );
        let watched = Watched {
            servers: servers.iter().map(Server::pid).collect(),
            others: redis.map(|r| r.pid()).into_iter().collect(),
        };
        let (m, s) = crate::measured(
            self.paths,
            &watched,
            self.load_cpu,
            &args,
            self.subs,
            settings.quick,
        )?;
        sample
            .notes
            .extend(s.notes.into_iter().map(|n| format!("{name}: {n}")));
        // Connections after the first server's get their broadcasts from the sender's server
        // through Redis only: none arriving means the backplane carried nothing.
        if let [first, rest @ ..] = m.delivered_by_server.as_slice()
            && *first > 0.0
            && rest.contains(&0.0)
        {
            return Err(format!(
                "{name}: deliveries per server {:?}: the broadcasts did not reach every node through Redis",
                m.delivered_by_server
            ));
        }
        let mut put = |key: &str, value: f64| {
            sample.metrics.insert(format!("{key}_{name}"), value);
        };
        if m.delivered > 0.0 {
            put("us_per_delivery", 1e6 * m.server_cpu / m.delivered);
        }
        put("deliveries_per_s", m.delivered / m.seconds);
        put("broadcasts_per_s", m.broadcasts / m.seconds);
        put("server_cpu_pct", 100.0 * m.server_cpu / m.seconds);
        if let Some(&redis_cpu) = m.other_cpu.first() {
            put("redis_cpu_pct", 100.0 * redis_cpu / m.seconds);
            if m.broadcasts > 0.0 {
                put("redis_us_per_broadcast", 1e6 * redis_cpu / m.broadcasts);
            }
        }
        Ok(())
    }
}

/// `dir/STEM-what.log` next to `log` (`dir/STEM.log`).
fn log_named(log: &Path, what: &str) -> PathBuf {
    let stem = log.file_stem().and_then(|s| s.to_str()).unwrap_or("run");
    log.with_file_name(format!("{stem}-{what}.log"))
}

/// A redis-server of the runner's own: a free port on 127.0.0.1, no persistence.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(cpu: Option<usize>, log: &Path) -> Result<Redis, String> {
        if !procs::have("redis-server") {
            return Err(
                "redis-server not found: the cross-node scenarios (redis_broadcast_*) need it (Debian: apt-get install redis-server)"
                    .into(),
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for redis-server: {e}"))?
            .port();
        let args: Vec<String> = [
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let child = procs::pinned(cpu, Path::new("redis-server"), &args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        let mut redis = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match redis.command(&["PING"]) {
                Ok(Reply::Text(pong)) if pong == "PONG" => return Ok(redis),
                answer => {
                    if Instant::now() > deadline || !matches!(redis.child.try_wait(), Ok(None)) {
                        redis.stop();
                        return Err(format!(
                            "redis-server on port {port} did not answer PING ({answer:?}; see {})",
                            log.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `nodes` servers listen on the hub's `all` channel.
    fn await_subscribers(&self, nodes: usize) -> Result<(), String> {
        let channel = format!("{HUB}:all");
        let deadline = Instant::now() + SUBSCRIBE_WAIT;
        loop {
            let answer = self.command(&["PUBSUB", "NUMSUB", &channel]);
            if let Ok(Reply::Array(items)) = &answer
                && let [_, Reply::Int(count)] = items.as_slice()
                && *count as usize >= nodes
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{nodes} hub-bench process(es) did not all subscribe to {channel} within {SUBSCRIBE_WAIT:?}: {answer:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// One command on a connection of its own (RESP).
    fn command(&self, args: &[&str]) -> Result<Reply, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .map_err(|e| e.to_string())?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream
            .write_all(request.as_bytes())
            .map_err(|e| format!("write: {e}"))?;
        read_reply(&mut BufReader::new(stream))
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Redis reply, as far as the runner reads them.
#[derive(Debug)]
enum Reply {
    Text(String),
    Int(i64),
    Nil,
    Array(Vec<Reply>),
}

fn read_reply(reader: &mut impl BufRead) -> Result<Reply, String> {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("read: {e}"))?;
    let line = line.trim_end_matches(['\r', '\n']);
    let mut chars = line.chars();
    let kind = chars.next().ok_or("connection closed")?;
    let rest = chars.as_str();
    let length =
        || -> Result<i64, String> { rest.parse().map_err(|_| format!("bad reply {line:?}")) };
    match kind {
        '+' => Ok(Reply::Text(rest.to_owned())),
        '-' => Err(format!("redis: {rest}")),
        ':' => Ok(Reply::Int(length()?)),
        '$' => {
            let Ok(len) = usize::try_from(length()?) else {
                return Ok(Reply::Nil);
            };
            let mut bytes = vec![0; len + 2];
            reader
                .read_exact(&mut bytes)
                .map_err(|e| format!("read: {e}"))?;
            bytes.truncate(len);
            Ok(Reply::Text(String::from_utf8_lossy(&bytes).into_owned()))
        }
        '*' => {
            let Ok(len) = usize::try_from(length()?) else {
                return Ok(Reply::Nil);
            };
            (0..len)
                .map(|_| read_reply(reader))
                .collect::<Result<_, _>>()
                .map(Reply::Array)
        }
        _ => Err(format!("unexpected reply {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_replies() {
        let mut input: &[u8] = b"*2\r\n$13\r\nBench.Hub:all\r\n:2\r\n";
        match read_reply(&mut input) {
            Ok(Reply::Array(items)) => match items.as_slice() {
                [Reply::Text(name), Reply::Int(2)] => assert_eq!(name, "Bench.Hub:all"),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
        assert!(read_reply(&mut &b"-ERR nope\r\n"[..]).is_err());
        assert!(matches!(read_reply(&mut &b"$-1\r\n"[..]), Ok(Reply::Nil)));
    }
}
