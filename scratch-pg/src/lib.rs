//! A throwaway PostgreSQL cluster for the tests and the benchmarks: `initdb`
//! into a temporary directory, a free loopback port, no password (trust on
//! loopback only), run as the `postgres` user when we are root (PostgreSQL
//! refuses to run as root).
//!
//! The binaries come from `PG_BIN`, or the newest `/usr/lib/postgresql/*/bin`
//! (Debian's layout). A detached watchdog stops the cluster and deletes its
//! files when the process that started it exits, however it exits, so a
//! crashed test run leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};

/// A running cluster; [`Cluster::stop`] ends it, or the watchdog does when
/// this process exits.
pub struct Cluster {
    admin_url: String,
    dir: PathBuf,
    pg_ctl: PathBuf,
    as_root: bool,
    /// The server options it was started with, port included.
    options: String,
}

/// Settings that trade durability for speed; a crash loses a throwaway
/// cluster anyway.
pub const FAST_UNSAFE: &[&str] = &[
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
];

impl Cluster {
    /// Starts a cluster with extra server `settings` (`name=value`).
    pub fn start(settings: &[&str]) -> Result<Cluster> {
        let bin = bin_dir()?;
        let as_root = output(Command::new("id").arg("-u"))?.trim() == "0";
        let dir = tempfile::Builder::new()
            .prefix("shopgraph-pg-")
            .tempdir()
            .context("cannot make a temporary directory")?
            .keep();
        if as_root {
            output(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let mut cluster = Cluster {
            admin_url: String::new(),
            dir,
            pg_ctl: bin.join("pg_ctl"),
            as_root,
            options: String::new(),
        };
        let data = cluster.data();
        // C.UTF-8 sorts text by code point, as SQLite does.
        output(
            cluster
                .command(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-A", "trust", "-U", "postgres", "-E", "UTF8"])
                .args(["--locale", "C.UTF-8", "--no-sync"]),
        )?;
        let mut options = format!(
            "-k {} -c listen_addresses=127.0.0.1 -c max_connections=300",
            cluster.dir.display()
        );
        for setting in settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
        // A free port may be taken before PostgreSQL binds it; try a few.
        let mut attempts = 0;
        let port = loop {
            let port = free_port()?;
            cluster.options = format!("-p {port} {options}");
            attempts += 1;
            match cluster.start_server() {
                Ok(()) => break port,
                Err(err) if attempts == 3 => return Err(err),
                Err(_) => continue,
            }
        };
        cluster.spawn_watchdog()?;
        Ok(Cluster {
            admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            ..cluster
        })
    }

    /// The URL of the `postgres` maintenance database.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The URL of database `name` on this cluster.
    pub fn database_url(&self, name: &str) -> String {
        database_url(&self.admin_url, name)
    }

    /// Stops the cluster and deletes its files.
    pub fn stop(self) -> Result<()> {
        self.stop_server()?;
        std::fs::remove_dir_all(&self.dir).context("cannot delete the cluster's files")
    }

    /// Stops the server (fast shutdown: sessions are disconnected), keeping
    /// its data, as an outage would.
    pub fn stop_server(&self) -> Result<()> {
        output(
            self.command(&self.pg_ctl)
                .arg("-D")
                .arg(self.data())
                .args(["-m", "fast", "-w", "stop"]),
        )?;
        Ok(())
    }

    /// Starts the server on its data and port, and waits until it accepts
    /// connections.
    pub fn start_server(&self) -> Result<()> {
        let started = self
            .command(&self.pg_ctl)
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-o", &self.options, "-w", "-t", "60", "start"])
            .output()
            .context("cannot run pg_ctl")?;
        if !started.status.success() {
            bail!(
                "PostgreSQL did not start: {}\n{}",
                String::from_utf8_lossy(&started.stderr),
                std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
            );
        }
        Ok(())
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command running `program` as the cluster's owner.
    fn command(&self, program: &Path) -> Command {
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// Waits, detached, for this process to end, then stops the cluster and
    /// removes its directory (test processes never run destructors of statics).
    fn spawn_watchdog(&self) -> Result<()> {
        let stop = self.command(&self.pg_ctl);
        let mut stop_line = stop.get_program().to_string_lossy().into_owned();
        for arg in stop.get_args() {
            stop_line.push(' ');
            stop_line.push_str(&arg.to_string_lossy());
        }
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop_line} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data().display(),
            dir = self.dir.display(),
        );
        // `setsid --fork` returns at once, leaving the watchdog in its own
        // session, out of reach of signals sent to our process group.
        let status = Command::new("setsid")
            .args(["--fork", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("cannot start the cluster's watchdog")?;
        ensure!(status.success(), "the cluster's watchdog did not start");
        Ok(())
    }
}

/// The URL of database `name` on the server of `url`.
pub fn database_url(url: &str, name: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{name}")
}

/// The directory of PostgreSQL's programs.
pub fn bin_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    candidates.sort();
    candidates.pop().context(
        "PostgreSQL was not found in /usr/lib/postgresql/*/bin. Install it \
         (Debian: apt-get install postgresql) or set PG_BIN to its bin directory.",
    )
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("no free port")?;
    Ok(listener.local_addr()?.port())
}

fn output(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    ensure!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
