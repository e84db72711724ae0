//! How the tool fails: a usage error (exit 2) or a rejected cookie (exit 1), as one line.
//!
//! clap's own messages quote the values they refuse ("invalid value 'xyz' for '--format'") and
//! offer tips that quote arguments; a value might be a secret typed in the wrong place, so clap's
//! errors are rendered here from their kind and from names only: the option (`InvalidArg`), the
//! valid values and clap's suggested option or command names, never `InvalidValue`.

use std::fmt;

use clap::CommandFactory as _;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use cookie_session::ConfigError;

use crate::args::Cli;

/// A missing subcommand, as said everywhere.
pub const MISSING_COMMAND: &str = "missing command: expected keygen, decode or encode (see --help)";

pub enum Failure {
    /// Bad arguments or configuration: exit 2.
    Usage(String),
    /// A cookie that is not valid or cannot be written: exit 1.
    Rejected(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Rejected(_) => 1,
            Self::Usage(_) => 2,
        }
    }

    /// A configuration the library refused. The cookie name is the only value its messages
    /// quote, so that one is named instead.
    pub fn from_config(error: ConfigError) -> Self {
        Self::Usage(match error {
            ConfigError::InvalidCookieName(_) => {
                "--cookie-name: not a valid cookie name (RFC 6265 token characters only)".into()
            }
            other => other.to_string(),
        })
    }

    /// A command line clap refused, said without any of its values.
    pub fn from_clap(error: &clap::Error) -> Self {
        let arg = error
            .get(ContextKind::InvalidArg)
            .map_or_else(|| "an option".to_owned(), |arg| quoted(arg, ", "));
        Self::Usage(match error.kind() {
            ErrorKind::InvalidValue if is_empty_value(error) => format!("{arg} needs a value"),
            ErrorKind::InvalidValue => match error.get(ContextKind::ValidValue) {
                Some(valid) => format!(
                    "invalid value for {arg}: expected one of {}",
                    quoted(valid, ", ")
                ),
                None => format!("invalid value for {arg}"),
            },
            ErrorKind::ValueValidation => match std::error::Error::source(error) {
                // Our value parsers' messages, which never contain the value.
                Some(problem) => format!("invalid value for {arg}: {problem}"),
                None => format!("invalid value for {arg}"),
            },
            ErrorKind::NoEquals => format!("{arg} takes its value after '='"),
            ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
                format!("wrong number of values for {arg}")
            }
            ErrorKind::ArgumentConflict => match error
                .get(ContextKind::PriorArg)
                .map(|prior| quoted(prior, ", "))
            {
                Some(prior) if prior != arg => format!("{arg} cannot be used with {prior}"),
                _ => format!("{arg} given more than once"),
            },
            ErrorKind::MissingRequiredArgument => format!("missing {arg}"),
            ErrorKind::UnknownArgument => unknown_argument(error),
            ErrorKind::InvalidSubcommand => {
                let mut message =
                    "unknown command: expected keygen, decode or encode (see --help)".to_owned();
                if let Some(suggested) = error.get(ContextKind::SuggestedSubcommand) {
                    message += &format!("; did you mean {}?", quoted(suggested, " or "));
                }
                message
            }
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                MISSING_COMMAND.to_owned()
            }
            ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".to_owned(),
            _ => "invalid command line (see --help)".to_owned(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Rejected(message) => f.write_str(message),
        }
    }
}

/// clap refuses an option given without a value as an empty invalid value. Only its emptiness is
/// looked at.
fn is_empty_value(error: &clap::Error) -> bool {
    matches!(error.get(ContextKind::InvalidValue), Some(ContextValue::String(value)) if value.is_empty())
}

/// An argument clap did not expect. It is never repeated, unless it is exactly the name of an
/// option that another command takes; clap's suggested option name is fine.
fn unknown_argument(error: &clap::Error) -> String {
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else {
        return "unexpected argument (see --help)".to_owned();
    };
    if !arg.starts_with('-') {
        return "unexpected argument (not shown; see --help)".to_owned();
    }
    let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
    let owners = commands_taking(name);
    if !owners.is_empty() {
        return format!("{name} is not an option of this command; it belongs to {owners}");
    }
    let mut message = "unknown option (not shown".to_owned();
    if let Some(suggested) = error.get(ContextKind::SuggestedArg) {
        message += &format!("; did you mean {}?", quoted(suggested, " or "));
    }
    message + "); put -- before a COOKIE that starts with '-'"
}

/// The commands that take the long option `name`, e.g. "encode" for `--state`.
fn commands_taking(name: &str) -> String {
    let Some(long) = name.strip_prefix("--") else {
        return String::new();
    };
    Cli::command()
        .get_subcommands()
        .filter(|command| {
            command
                .get_arguments()
                .any(|arg| arg.get_long() == Some(long))
        })
        .map(|command| command.get_name().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names clap put in the context (options, the values it accepts, suggestions), quoted and
/// joined by `separator`.
fn quoted(value: &ContextValue, separator: &str) -> String {
    let names: Vec<String> = match value {
        ContextValue::String(name) => vec![name.clone()],
        ContextValue::Strings(names) => names.clone(),
        ContextValue::StyledStr(name) => vec![name.to_string()],
        ContextValue::StyledStrs(names) => names.iter().map(ToString::to_string).collect(),
        _ => return "an option".to_owned(),
    };
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(separator)
}
