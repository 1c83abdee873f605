//! What the benchmarks share. The benchmarks themselves are the binaries in
//! `src/bin/`: `compare` (shopgraph against its peers and the limit, run by
//! `bench/run`), `limit` (the hand-written limit it compares with) and
//! `pagination` (page 1 against page 500, run by `bench/pagination`).

pub mod flash_sale;

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
