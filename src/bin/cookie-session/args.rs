//! The command line as clap declares it: each subcommand takes only the options it uses.
//!
//! Values are parsed here, by the value parsers below; their error messages never contain the
//! value itself (see `failure.rs` for how clap's errors are rendered).

use std::time::Duration;

use clap::{ArgMatches, Args, Parser, Subcommand};
use cookie_session::{ConfigError, Salt, Secret, UnixTime};
use serde_json::{Map, Value};

use crate::format::{FactoryOptions, FormatArg, HashArg};

/// Pyramid-style stateless cookie sessions: make secrets, decode and encode session cookies.
#[derive(Parser)]
#[command(
    name = "cookie-session",
    version,
    after_help = "Exit codes: 0 success or a valid cookie, 1 an invalid or expired cookie (or one \
                  that cannot be written), 2 a usage error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print a new random 64-byte secret (base64url).
    Keygen,
    /// Print one JSON object describing COOKIE; exit 0 valid, 1 invalid or expired, 2 usage.
    #[command(after_help = "\
Output: {\"valid\":true,\"state\":{...},\"created\":<num>,\"accessed\":<num>,\"key_index\":<n>}
    or: {\"valid\":false,\"reason\":\"malformed|bad_signature|unknown_key|expired|too_large|...\"}
        (a sentence explaining the reason goes to standard error)")]
    Decode(DecodeArgs),
    /// Print the cookie value that holds the session given with --state.
    Encode(EncodeArgs),
}

#[derive(Args)]
pub struct DecodeArgs {
    #[command(flatten)]
    pub cookie: CookieOptions,
    /// The cookie value (put -- before one that starts with '-').
    #[arg(value_name = "COOKIE")]
    pub value: String,
}

#[derive(Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub cookie: CookieOptions,
    /// The session: a JSON object.
    #[arg(long, value_name = "JSON", value_parser = parse_state)]
    pub state: Map<String, Value>,
    /// When the session was created, in UNIX seconds like --now [default: --now].
    #[arg(long, value_name = "SECS", value_parser = parse_time)]
    pub created: Option<UnixTime>,
}

/// What `decode` and `encode` share: the format, its keys and settings, and the clock.
#[derive(Args)]
pub struct CookieOptions {
    /// The wire format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = FormatArg::Native)]
    format: FormatArg,
    /// A secret as hexadecimal bytes. Secrets are repeatable and may mix the three forms: the
    /// first one signs, the others are only verified.
    #[arg(long = "secret-hex", value_name = "HEX", value_parser = secret_from_hex)]
    secret_hex: Vec<Secret>,
    /// A secret as text (for --format pyramid: WebOb's text-to-bytes rule, latin-1 when it fits;
    /// for --format flask: UTF-8).
    #[arg(
        long = "secret",
        value_name = "TEXT",
        value_parser = secret_from_text,
        allow_hyphen_values = true
    )]
    secret_text: Vec<Secret>,
    /// A secret read from the environment variable VAR (as text, surrounding whitespace trimmed).
    #[arg(long = "secret-env", value_name = "VAR", value_parser = secret_from_env)]
    secret_env: Vec<Secret>,
    /// The Pyramid or Flask salt, or the native format's purpose, as text [flask default:
    /// cookie-session].
    #[arg(
        long,
        value_name = "TEXT",
        value_parser = salt_from_text,
        allow_hyphen_values = true,
        conflicts_with = "salt_hex"
    )]
    salt: Option<Salt>,
    /// The salt as hexadecimal bytes.
    #[arg(long = "salt-hex", value_name = "HEX", value_parser = salt_from_hex)]
    salt_hex: Option<Salt>,
    /// The HMAC hash of --format pyramid [default: sha512], flask [default: sha1] or django
    /// (sha256 or sha1) [default: sha256].
    #[arg(long, value_enum, value_name = "HASH", ignore_case = true)]
    hash: Option<HashArg>,
    /// The native format's encrypted suite (needs the `encryption` feature).
    #[arg(long)]
    encrypt: bool,
    /// The cookie's name, which the native format binds into the cookie [default: session].
    #[arg(long = "cookie-name", value_name = "NAME")]
    cookie_name: Option<String>,
    /// Seconds after the last access at which a session expires, or `none` [default: 1200;
    /// flask: 2678400, measured from the signing time].
    #[arg(long, value_name = "SECS|none", value_parser = parse_timeout)]
    timeout: Option<Timeout>,
    /// The current time in UNIX seconds, fractions allowed (1700001260.5) [default: the clock].
    #[arg(long, value_name = "SECS", value_parser = parse_time)]
    pub now: Option<UnixTime>,
}

impl CookieOptions {
    /// The format and what builds its factory. `matches` are the subcommand's: they tell where
    /// each secret stood, which clap's derived fields forget across the three secret options.
    pub fn into_factory_options(self, matches: &ArgMatches) -> (FormatArg, FactoryOptions) {
        let mut placed: Vec<(usize, Secret)> = Vec::new();
        // The ids are the field names above.
        for (id, secrets) in [
            ("secret_hex", self.secret_hex),
            ("secret_text", self.secret_text),
            ("secret_env", self.secret_env),
        ] {
            let indices = matches.indices_of(id).into_iter().flatten();
            placed.extend(indices.zip(secrets));
        }
        placed.sort_by_key(|&(index, _)| index);
        let options = FactoryOptions {
            secrets: placed.into_iter().map(|(_, secret)| secret).collect(),
            salt: self.salt.or(self.salt_hex),
            hash: self.hash,
            encrypt: self.encrypt,
            cookie_name: self.cookie_name,
            timeout: self.timeout.map(|Timeout(timeout)| timeout),
        };
        (self.format, options)
    }
}

/// `--timeout`: a duration, or `None` for `none`.
#[derive(Clone, Copy)]
pub struct Timeout(Option<Duration>);

fn parse_timeout(text: &str) -> Result<Timeout, &'static str> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Timeout(None));
    }
    text.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .map(|timeout| Timeout(Some(timeout)))
        .ok_or("expected a number of seconds (0 or more) or none")
}

/// The latest time accepted on the command line (about the year 5138): far beyond any real
/// session, and well inside what every format stores exactly.
const MAX_TIME: f64 = 1e11;

fn parse_time(text: &str) -> Result<UnixTime, &'static str> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| (0.0..=MAX_TIME).contains(secs))
        .and_then(UnixTime::from_secs_f64)
        .ok_or("expected UNIX seconds between 0 and 1e11, such as 1700001260.5")
}

fn parse_state(text: &str) -> Result<Map<String, Value>, String> {
    // serde_json's syntax errors give a line and column, never the text.
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("expected a JSON object".to_owned()),
        Err(error) => Err(format!("invalid JSON: {error}")),
    }
}

fn secret_from_text(text: &str) -> Result<Secret, &'static str> {
    Ok(Secret::from_text(text))
}

fn secret_from_hex(hex: &str) -> Result<Secret, String> {
    Secret::from_hex(hex).map_err(hex_problem)
}

fn salt_from_text(text: &str) -> Result<Salt, &'static str> {
    Ok(Salt::from_text(text))
}

fn salt_from_hex(hex: &str) -> Result<Salt, &'static str> {
    base16ct::mixed::decode_vec(hex.trim())
        .map(Salt::from_bytes)
        .map_err(|_| "not hexadecimal (odd length, or a non-hex character)")
}

/// Where hex went wrong, by position: the text itself might be a secret.
fn hex_problem(error: ConfigError) -> String {
    match error {
        ConfigError::InvalidHex { position } => {
            format!("not hexadecimal (odd length, or a non-hex character at position {position})")
        }
        _ => "not hexadecimal".to_owned(),
    }
}

fn secret_from_env(name: &str) -> Result<Secret, String> {
    // Only what looks like a variable's name is repeated: a secret given in its place is not.
    if !looks_like_env_name(name) {
        return Err("expected the NAME of an environment variable (the value is not shown)".into());
    }
    Secret::from_env(name)
        .map_err(|_| format!("environment variable {name} is not set, empty, or not Unicode"))
}

/// `^[A-Z_][A-Z0-9_]*$`: the conventional upper-case name. Lower case is refused, although the
/// shell allows it, because about one `keygen` secret in five would otherwise pass for a name.
fn looks_like_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_uppercase() || first == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
