//! What the benchmarks share. The benchmarks themselves are the binaries in
//! `src/bin/`: `compare` (shopgraph against its peers and the limit, run by
//! `bench/run`), `limit` (the hand-written limit it compares with) and
//! `pagination` (page 1 against page 500, run by `bench/pagination`).

pub mod flash_sale;

use std::collections::HashMap;

/// The machine a report was made on: cores, memory and CPU model.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .next()
                .and_then(|line| line.split_whitespace().nth(1))
                .map(str::to_owned)
        })
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB", kib / 1024.0 / 1024.0)
        });
    format!("{cores} cores{memory}, {cpu}")
}

/// The largest resident set process `pid` has had (`VmHWM`), in MiB.
pub fn peak_rss_mib(pid: u32) -> anyhow::Result<f64> {
    use anyhow::Context as _;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .context("VmHWM in /proc status")?;
    let kib: f64 = line.split_whitespace().nth(1).context("a size")?.parse()?;
    Ok(kib / 1024.0)
}

/// CPU time a load cost per request, in µs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuPerRequest {
    /// The server process (all its threads).
    pub server_us: f64,
    /// Every PostgreSQL process of the machine, when the server uses it:
    /// during a load only that server loads the cluster, so its backends
    /// and background work (WAL writer, autovacuum) are charged to it.
    pub database_us: Option<f64>,
}

/// Measures the CPU time a load costs, from `/proc`: where the time of a
/// request goes, the server or the database, which throughput alone does
/// not show on a machine they share.
pub struct CpuMeter {
    server: u32,
    database: bool,
    /// CPU ticks of each process measured, by pid, at the start.
    start: HashMap<u32, u64>,
}

impl CpuMeter {
    /// Starts measuring process `server`, and PostgreSQL's processes when
    /// `database`.
    pub fn start(server: u32, database: bool) -> CpuMeter {
        let mut meter = CpuMeter {
            server,
            database,
            start: HashMap::new(),
        };
        meter.start = meter.ticks();
        meter
    }

    /// The CPU time since the start, per request of `requests`. A process
    /// started meanwhile (a new database connection) counts all its time;
    /// one that ended meanwhile (a pool closing an idle connection) is
    /// missing, its time unknown.
    pub fn per_request(&self, requests: f64) -> CpuPerRequest {
        let per_request = |ticks: u64| ticks as f64 * MICROS_PER_TICK / requests.max(1.0);
        let (mut server, mut database) = (0, 0);
        for (pid, ticks) in self.ticks() {
            let spent = ticks.saturating_sub(self.start.get(&pid).copied().unwrap_or(0));
            if pid == self.server {
                server += spent;
            } else {
                database += spent;
            }
        }
        CpuPerRequest {
            server_us: per_request(server),
            database_us: self.database.then(|| per_request(database)),
        }
    }

    fn ticks(&self) -> HashMap<u32, u64> {
        cpu_ticks(|pid, name| pid == self.server || (self.database && name == "postgres"))
    }
}

/// `/proc`'s CPU times are in clock ticks: `USER_HZ`, 100 on Linux.
const MICROS_PER_TICK: f64 = 10_000.0;

/// User and system CPU ticks of each process `pick` chooses by pid and name.
fn cpu_ticks(pick: impl Fn(u32, &str) -> bool) -> HashMap<u32, u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (name) state …`: the name may hold spaces and ')'.
            let (head, tail) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1;
            if !pick(pid, name) {
                return None;
            }
            // After the name, state is the first field; utime the 12th, stime the 13th.
            let mut fields = tail.split_whitespace().skip(11);
            let user: u64 = fields.next()?.parse().ok()?;
            let system: u64 = fields.next()?.parse().ok()?;
            Some((pid, user + system))
        })
        .collect()
}
