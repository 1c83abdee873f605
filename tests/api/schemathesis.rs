//! Schemathesis (PyPI, 4.32.5) fuzzes every query and mutation of the live
//! schema, as staff so that mutations run. It reports every `errors` array
//! as a failure, so it is judged by HTTP status (`not_a_server_error`: no
//! 5xx) and by the server's own log: an INTERNAL error or a panic is logged
//! at ERROR level, and none may appear.
//!
//! The test installs schemathesis into `target/schemathesis-venv` the first
//! time (Python 3 with `venv` needed); `tests/schemathesis/hooks.py` teaches
//! it the API's custom `Decimal` scalar.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_shopgraph");

async fn install() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/schemathesis-venv");
    let st = venv.join("bin/st");
    let lock = std::fs::File::create(root.join("target/.schemathesis.lock")).expect("a lock file");
    let lock = tokio::task::spawn_blocking(move || {
        lock.lock().expect("the install lock");
        lock
    })
    .await
    .unwrap();
    if !st.exists() {
        let run = |program: PathBuf, args: Vec<String>| async move {
            let output = Command::new(&program)
                .args(&args)
                .output()
                .await
                .unwrap_or_else(|err| {
                    panic!(
                        "cannot run {} (install Python 3 with venv): {err}",
                        program.display()
                    )
                });
            assert!(
                output.status.success(),
                "{} {args:?} failed: {}",
                program.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        };
        run(
            "python3".into(),
            vec!["-m".into(), "venv".into(), venv.display().to_string()],
        )
        .await;
        let requirements = root
            .join("tests/schemathesis/requirements.txt")
            .display()
            .to_string();
        run(
            venv.join("bin/pip"),
            vec![
                "install".into(),
                "--quiet".into(),
                "-r".into(),
                requirements,
            ],
        )
        .await;
    }
    drop(lock);
    st
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error() {
    let st = install().await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("shop.db").display());
    let mut server = Command::new(BINARY)
        .args([
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--seed-demo",
            "--log",
            "error",
        ])
        .args(["--admin-token", crate::support::ADMIN_TOKEN])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let banner = lines.next_line().await.unwrap().expect("a banner");
    let base = banner
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();

    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis");
    let output = Command::new(&st)
        .args([
            "run",
            &format!("{base}/graphql"),
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
        ])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", crate::support::ADMIN_TOKEN),
        ])
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &hooks)
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = report
        .lines()
        .filter(|line| line.contains("generated") || line.contains("Tested"))
        .collect();
    eprintln!("schemathesis: {}", summary.join("; "));
    assert!(
        output.status.success(),
        "schemathesis found server errors:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        report.contains("Tested"),
        "schemathesis tested the operations:\n{report}"
    );
    let _ = server.start_kill();
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.trim().is_empty(),
        "the server logged errors (INTERNAL or a panic):\n{logged}"
    );
}
