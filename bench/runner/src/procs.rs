//! Processes: building, starting servers and load generators pinned to their cores, and reading
//! what the kernel says about them (CPU time, RSS, slab, sockets).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where things are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub repo: PathBuf,
    pub bench: PathBuf,
    pub bench_release: PathBuf,
    pub main_release: PathBuf,
}

impl Paths {
    pub fn discover() -> Paths {
        let bench = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("bench/")
            .to_path_buf();
        let repo = bench.parent().expect("repository root").to_path_buf();
        // Builds are made with explicit `--target-dir`s (see `build` in main.rs), so these hold
        // whatever CARGO_TARGET_DIR says.
        Paths {
            bench_release: bench.join("target/release"),
            main_release: repo.join("target/release"),
            repo,
            bench,
        }
    }

    pub fn loadgen(&self) -> PathBuf {
        self.bench_release.join("loadgen")
    }
}

/// Runs a command to completion, failing loudly.
pub fn run_checked(mut command: Command, what: &str) -> Result<(), String> {
    eprintln!("runner: {what}");
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {status}"))
    }
}

/// Whether a program can be started.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The output of a command, trimmed; empty on failure.
pub fn output_of(program: &str, args: &[&str], cwd: &Path) -> String {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Raises the soft open-file limit to the hard one; children inherit it.
pub fn raise_nofile() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    limit.rlim_cur
}

/// Pins this process (the runner) to `cpu`, away from the server.
pub fn pin_self(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET writes within it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Online CPUs of the machine (not of this process's affinity mask).
pub fn cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    if n > 0 { n as usize } else { 1 }
}

/// Clock ticks per second: the unit of the CPU times in /proc.
pub fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// utime + stime of a process (all its threads), in seconds, from /proc/PID/stat.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks())
}

/// Resident set size of a process in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Open file descriptors of a process (entries of /proc/PID/fd).
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// `Slab` from /proc/meminfo, KiB.
pub fn slab_kib() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("Slab:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The TCP line of /proc/net/sockstat: inuse, orphan, tw, alloc, mem (pages).
pub fn sockstat_tcp() -> Vec<(String, f64)> {
    let text = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("TCP:")) else {
        return Vec::new();
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .chunks(2)
        .filter_map(|pair| Some((pair[0].to_owned(), pair.get(1)?.parse().ok()?)))
        .collect()
}

pub fn sockstat_value(key: &str) -> f64 {
    sockstat_tcp()
        .into_iter()
        .find(|(k, _)| k == key)
        .map_or(0.0, |(_, v)| v)
}

/// Waits (up to `limit`) until few sockets are left in TIME_WAIT, so runs do not disturb each
/// other.
pub fn drain_time_wait(limit: Duration) {
    let start = Instant::now();
    while sockstat_value("tw") > 2000.0 && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// `taskset -c CPU` before a command when the machine has the cores for it.
pub fn pinned(cpu: Option<usize>, program: &Path, args: &[String]) -> Command {
    match cpu {
        Some(cpu) => {
            let mut command = Command::new("taskset");
            command
                .arg("-c")
                .arg(cpu.to_string())
                .arg(program)
                .args(args);
            command
        }
        None => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

/// A server under test.
pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    /// Starts `program args --addr 127.0.0.1:0` pinned to `cpu` and waits for
    /// `listening on http://ADDR`.
    pub fn start(
        program: &Path,
        args: &[String],
        cwd: &Path,
        cpu: Option<usize>,
        log: &Path,
    ) -> Result<Server, String> {
        let mut all = args.to_vec();
        all.extend(["--addr".to_owned(), "127.0.0.1:0".to_owned()]);
        let mut command = pinned(cpu, program, &all);
        let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        command
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                        return Ok(Server {
                            child,
                            addr: addr.to_owned(),
                        });
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{} did not print `listening on` (see {})",
                        program.display(),
                        log.display()
                    ));
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn rss(&self) -> f64 {
        rss_kib(self.pid()).unwrap_or(f64::NAN)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A load generator process; its JSON lines arrive on `lines`.
pub struct Loadgen {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
}

impl Loadgen {
    pub fn start(paths: &Paths, cpu: Option<usize>, args: &[String]) -> Result<Loadgen, String> {
        let mut command = pinned(cpu, &paths.loadgen(), args);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start loadgen: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Value>(&line) {
                    Ok(value) => {
                        if tx.send(value).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("loadgen: {line}"),
                }
            }
        });
        Ok(Loadgen {
            child,
            stdin,
            lines: rx,
        })
    }

    /// The next line whose `event` is `event`, within `limit`.
    pub fn expect(&mut self, event: &str, limit: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) if value["event"] == event => return Ok(value),
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("loadgen: no `{event}` within {limit:?}"));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(format!("loadgen exited before `{event}`"));
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line, whatever its event, within `limit`; `Err` once the process is gone.
    pub fn next(&mut self, limit: Duration) -> Result<Option<Value>, String> {
        match self.lines.recv_timeout(limit) {
            Ok(value) => Ok(Some(value)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err("loadgen exited".into()),
        }
    }

    /// Writes a line to its stdin (`go`, `stop`).
    pub fn tell(&mut self, line: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin
                .write_all(format!("{line}\n").as_bytes())
                .and_then(|()| stdin.flush());
        }
    }

    /// Tells an idle load generator to stop, and waits for it (killing it after a grace period).
    pub fn stop(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Loadgen {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
