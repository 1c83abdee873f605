//! The configuration file (`--config shopgraph.toml`) and `shopgraph
//! config`.
//!
//! The file holds the same settings as the flags, under the flags' names
//! (`database-url = "…"`, `max-depth = 9`, `cors-origin = ["…"]`;
//! `snake_case` works too), and sits under the environment and the flags:
//! a setting comes from the command line if given there, else from its
//! environment variable, else from the file, else its default.
//!
//! The file's settings are handed to clap as flags, put before the command
//! line's own, except those the command line names or whose environment
//! variable is set. So a value from the file passes exactly the parsing
//! and checks a flag does, with the same error messages, and no second
//! description of the settings exists to drift from the first.

use std::ffi::OsString;

use anyhow::{Context as _, bail};
use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// The flag naming the file, and its environment variable.
pub const FLAG: &str = "config";
pub const ENV: &str = "SHOPGRAPH_CONFIG";

/// Settings whose values `shopgraph config` never prints.
const SECRETS: [&str; 2] = ["admin-token", "token-secret"];

/// A command line with a configuration file's settings added.
pub struct Layered {
    pub args: Vec<OsString>,
    /// The file, if one was named.
    pub file: Option<std::path::PathBuf>,
    /// The settings the file supplied.
    pub from_file: Vec<String>,
}

/// The command line with the file's settings (if a file is named) put
/// before the given arguments.
pub fn with_file(command: &Command, args: Vec<OsString>) -> anyhow::Result<Layered> {
    let Some(path) = file_named(&args) else {
        return Ok(Layered {
            args,
            file: None,
            from_file: Vec::new(),
        });
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("could not read the configuration file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut from_file = Vec::new();
    let mut supplied = Vec::new();
    for (key, value) in table {
        let name = key.replace('_', "-");
        let Some(arg) = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(name.as_str()))
        else {
            bail!(
                "{}: `{key}` is not a setting (see `shopgraph --help`)",
                path.display()
            );
        };
        if name == FLAG {
            bail!(
                "{}: a configuration file cannot name another",
                path.display()
            );
        }
        // The command line and the environment win over the file.
        let on_command_line = args.iter().any(|given| {
            let given = given.to_string_lossy();
            given == format!("--{name}") || given.starts_with(&format!("--{name}="))
        });
        if on_command_line
            || arg
                .get_env()
                .is_some_and(|env| std::env::var_os(env).is_some())
        {
            continue;
        }
        supplied.push(name.clone());
        let takes_value = arg.get_action().takes_values();
        let values = match value {
            toml::Value::Array(items) => items,
            single => vec![single],
        };
        for value in values {
            match (takes_value, value) {
                (false, toml::Value::Boolean(true)) => from_file.push(format!("--{name}").into()),
                (false, toml::Value::Boolean(false)) => {}
                (false, other) => bail!(
                    "{}: `{key}` is on or off: true or false, not {other}",
                    path.display()
                ),
                (true, toml::Value::String(text)) => {
                    from_file.push(format!("--{name}={text}").into())
                }
                (true, toml::Value::Table(_) | toml::Value::Array(_)) => {
                    bail!("{}: `{key}` takes a value, not a table", path.display())
                }
                (true, other) => from_file.push(format!("--{name}={other}").into()),
            }
        }
    }
    let mut given = args.into_iter();
    let program = given.next().unwrap_or_else(|| "shopgraph".into());
    Ok(Layered {
        args: std::iter::once(program)
            .chain(from_file)
            .chain(given)
            .collect(),
        file: Some(path),
        from_file: supplied,
    })
}

/// The file the command line or the environment names, if any.
fn file_named(args: &[OsString]) -> Option<std::path::PathBuf> {
    let flag = format!("--{FLAG}");
    let prefix = format!("--{FLAG}=");
    let mut args = args.iter().skip(1).map(|arg| arg.to_string_lossy());
    while let Some(arg) = args.next() {
        if arg == flag {
            return args.next().map(|path| path.into_owned().into());
        }
        if let Some(path) = arg.strip_prefix(&prefix) {
            return Some(path.into());
        }
    }
    std::env::var_os(ENV).map(Into::into)
}

/// The effective settings, one `name = value` line each (TOML), with where
/// each came from as a comment; secrets and database passwords hidden.
pub fn describe(command: &Command, matches: &ArgMatches, layered: &Layered) -> String {
    let mut lines = Vec::new();
    for arg in command.get_arguments() {
        let Some(name) = arg.get_long() else { continue };
        if name == FLAG || name == "help" || name == "version" {
            continue;
        }
        let id = arg.get_id().as_str();
        let values: Vec<String> = matches
            .get_raw(id)
            .map(|raw| {
                raw.map(|value| value.to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let shown: Vec<String> = values
            .iter()
            .map(|value| {
                if SECRETS.contains(&name) {
                    "***".to_owned()
                } else if name == "database-url" || name == "otlp-endpoint" {
                    api::redact(value)
                } else {
                    value.clone()
                }
            })
            .map(|value| toml::Value::String(value).to_string())
            .collect();
        let value = match (arg.get_action().takes_values(), shown.as_slice()) {
            (true, []) => {
                lines.push(format!("# {name} is unset"));
                continue;
            }
            (true, [one]) if !is_list(arg) => one.clone(),
            (true, many) => format!("[{}]", many.join(", ")),
            (false, _) => matches.get_flag(id).to_string(),
        };
        let source = match matches.value_source(id) {
            Some(ValueSource::CommandLine) if layered.from_file.iter().any(|from| from == name) => {
                "file"
            }
            Some(ValueSource::CommandLine) => "command line",
            Some(ValueSource::EnvVariable) => "environment",
            Some(ValueSource::DefaultValue) | None => "default",
            Some(_) => "other",
        };
        lines.push(format!("{name} = {value}  # {source}"));
    }
    let header = match &layered.file {
        Some(path) => format!("# shopgraph's settings (file: {})\n", path.display()),
        None => "# shopgraph's settings (no configuration file)\n".to_owned(),
    };
    header + &lines.join("\n") + "\n"
}

/// Whether `arg` collects every occurrence (a list setting).
fn is_list(arg: &clap::Arg) -> bool {
    matches!(arg.get_action(), clap::ArgAction::Append)
}
