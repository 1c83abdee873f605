//! Runs the real JavaScript client tools in `tests/js/` (graphql-http's
//! audit, graphql-ws, Playwright) against the test servers. Their npm
//! packages are installed with `npm ci` the first time a test needs them,
//! from the pinned `package-lock.json`; Node.js must be installed.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;
use tokio::sync::OnceCell;

/// The directory of the JavaScript test tools.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

static INSTALLED: OnceCell<()> = OnceCell::const_new();

/// Installs `tests/js`'s packages, once per test process.
async fn install() {
    INSTALLED
        .get_or_init(|| async { npm_ci(&dir()).await })
        .await;
}

/// Installs the npm packages of `dir` from its lock file unless they are
/// installed already. Test processes may race here, so an exclusive file
/// lock serialises them.
pub async fn npm_ci(dir: &Path) {
    let dir = dir.to_owned();
    let lock = std::fs::File::create(dir.join(".install.lock")).expect("a lock file");
    let lock = tokio::task::spawn_blocking(move || {
        lock.lock().expect("the install lock");
        lock
    })
    .await
    .expect("the lock is taken");
    let marker = dir.join("node_modules/.package-lock.json");
    let stale = match (marker.metadata(), dir.join("package-lock.json").metadata()) {
        (Ok(installed), Ok(locked)) => installed.modified().ok() < locked.modified().ok(),
        _ => true,
    };
    if stale {
        let output = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .output()
            .await
            .unwrap_or_else(|err| panic!("cannot run npm (install Node.js 20 or newer): {err}"));
        assert!(
            output.status.success(),
            "npm ci failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    drop(lock);
}

/// Runs `node <script> <args>` in `tests/js` and returns its standard
/// output; panics with its output if it fails.
pub async fn node(script: &str, args: &[&str]) -> String {
    install().await;
    let mut all = vec![script];
    all.extend(args);
    run(&dir(), "node", &all).await
}

/// Runs `program <args>` in `dir` and returns its standard output; panics
/// with its output if it fails.
pub async fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        // The scripts act as staff, like the rest of the tests.
        .env("SHOPGRAPH_TOKEN", crate::support::ADMIN_TOKEN)
        .env("SHOPGRAPH_ADMIN_TOKEN", crate::support::ADMIN_TOKEN)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|err| panic!("cannot run {program} (install Node.js 20 or newer): {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
