//! `cookie-session`: make secrets, and decode or encode session cookies from the shell.
//!
//! The interface is fixed by DESIGN.md ("Command-line tool"): scripts and checks outside the
//! test suite drive it. Exit codes: 0 success (or a valid cookie), 1 an invalid or expired cookie
//! or a cookie that cannot be written, 2 a usage error. Secrets given on the command line are
//! never printed, not even in error messages.

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use cookie_session::{
    ConfigError, CookieSessionConfig, CookieSessionFactory, Format, KeyRing, PyramidHash, Salt,
    Secret, UnixTime,
};
use serde_json::{Map, Value};

const USAGE: &str = "\
cookie-session: Pyramid-style stateless cookie sessions

usage:
  cookie-session keygen                          print a new random 64-byte secret (base64url)
  cookie-session decode [OPTIONS] [--] COOKIE    print one JSON object; exit 0 valid, 1 invalid or expired, 2 usage
  cookie-session encode [OPTIONS] --state JSON   print the cookie value

options:
  --format native|pyramid          (default native)
  --secret-hex HEX | --secret TEXT | --secret-env VAR      primary secret (repeatable: first = primary, rest = verify-only)
  --salt TEXT | --salt-hex HEX     pyramid salt / native purpose
  --hash md5|sha1|sha224|sha256|sha384|sha512     pyramid only (default sha512)
  --encrypt                        native only: suite 0x02 (needs feature encryption)
  --cookie-name NAME               (default session)
  --timeout SECS|none              (default 1200)
  --now SECS                       UNIX seconds, fractions allowed (1700001260.5); default: the real clock
  --created SECS                   encode only, same form
  --state JSON                     encode only: the session, a JSON object
  -h, --help                       print this help

decode output: {\"valid\":true,\"state\":{...},\"created\":<num>,\"accessed\":<num>,\"key_index\":<n>}
           or: {\"valid\":false,\"reason\":\"malformed|bad_signature|unknown_key|expired|too_large|...\"}
               (a sentence explaining the reason goes to standard error)

With --format pyramid, --secret TEXT and --salt TEXT follow WebOb's text-to-bytes rule (latin-1
when both fit, else UTF-8); --secret-hex and --salt-hex give raw bytes. --secret-env reads the
variable as text, surrounding whitespace trimmed (as Secret::from_env does).
";

/// Exit code for a usage error (bad arguments or configuration).
const EXIT_USAGE: u8 = 2;
/// Exit code for a cookie that is not valid, or one that cannot be written.
const EXIT_REJECTED: u8 = 1;

fn main() -> ExitCode {
    let code = match run(std::env::args_os().skip(1).collect()) {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            report(&message);
            EXIT_USAGE
        }
        Err(Failure::Rejected(message)) => {
            report(&message);
            EXIT_REJECTED
        }
    };
    ExitCode::from(code)
}

/// One line on stderr. Failing to write it is ignored: the exit code still tells.
fn report(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "cookie-session: {message}");
}

enum Failure {
    /// Exit 2.
    Usage(String),
    /// Exit 1.
    Rejected(String),
}

fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Command {
    Keygen,
    Decode,
    Encode,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FormatChoice {
    Native,
    Pyramid,
}

/// Everything the command line said, before it is checked against the command.
#[derive(Default)]
struct Options {
    format: Option<FormatChoice>,
    secrets: Vec<Secret>,
    salt: Option<Salt>,
    hash: Option<PyramidHash>,
    encrypt: bool,
    cookie_name: Option<String>,
    /// `Some(None)` is `--timeout none`.
    timeout: Option<Option<Duration>>,
    now: Option<UnixTime>,
    created: Option<UnixTime>,
    state: Option<Map<String, Value>>,
    positionals: Vec<String>,
    /// Any option at all was given (keygen takes none).
    any_option: bool,
}

enum Parsed {
    Help,
    Run(Command, Box<Options>),
}

fn run(args: Vec<OsString>) -> Result<u8, Failure> {
    match parse(args)? {
        Parsed::Help => {
            write_stdout(USAGE.trim_end())?;
            Ok(0)
        }
        Parsed::Run(Command::Keygen, options) => {
            if options.any_option || !options.positionals.is_empty() {
                return Err(usage("keygen takes no arguments"));
            }
            keygen()
        }
        Parsed::Run(Command::Decode, options) => decode(*options),
        Parsed::Run(Command::Encode, options) => encode(*options),
    }
}

fn write_stdout(line: &str) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| Failure::Rejected(format!("cannot write to standard output: {e}")))
}

fn parse(args: Vec<OsString>) -> Result<Parsed, Failure> {
    // Arguments are taken as `OsString` and checked here: `std::env::args` would panic on
    // non-UTF-8 input. The argument itself is not shown, as it might be a secret.
    let mut args = args
        .into_iter()
        .enumerate()
        .map(|(index, arg)| {
            arg.into_string()
                .map_err(|_| usage(format!("argument #{} is not valid UTF-8", index + 1)))
        })
        .collect::<Result<Vec<String>, Failure>>()?
        .into_iter();

    let command = match args.next().as_deref() {
        Some("keygen") => Command::Keygen,
        Some("decode") => Command::Decode,
        Some("encode") => Command::Encode,
        Some("-h" | "--help" | "help") => return Ok(Parsed::Help),
        // Not repeated: a word in the wrong place might be a secret.
        Some(_) => {
            return Err(usage(
                "unknown command: expected keygen, decode or encode (see --help)",
            ));
        }
        None => {
            return Err(usage(
                "missing command: expected keygen, decode or encode (see --help)",
            ));
        }
    };

    let mut options = Options::default();
    let mut options_ended = false;
    while let Some(arg) = args.next() {
        if options_ended || arg == "-" || !arg.starts_with('-') {
            options.positionals.push(arg);
            continue;
        }
        if arg == "--" {
            options_ended = true;
            continue;
        }
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        // `--name=value` or `--name value`.
        let (name, inline_value) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        options.any_option = true;
        if name == "--encrypt" {
            if inline_value.is_some() {
                return Err(usage("--encrypt takes no value"));
            }
            options.encrypt = true;
            continue;
        }
        if !is_valued_option(&name) {
            // Never repeated: it might be a cookie or a secret typed in the wrong place.
            return Err(usage(
                "unknown option (see --help; put -- before a cookie that starts with '-')",
            ));
        }
        let Some(value) = inline_value.or_else(|| args.next()) else {
            return Err(usage(format!("{name} needs a value")));
        };
        apply_option(&mut options, &name, value)?;
    }
    Ok(Parsed::Run(command, Box::new(options)))
}

fn is_valued_option(name: &str) -> bool {
    matches!(
        name,
        "--format"
            | "--secret-hex"
            | "--secret"
            | "--secret-env"
            | "--salt"
            | "--salt-hex"
            | "--hash"
            | "--cookie-name"
            | "--timeout"
            | "--now"
            | "--created"
            | "--state"
    )
}

/// Sets `slot`, refusing a second occurrence of a single-valued option.
fn set_once<T>(slot: &mut Option<T>, value: T, what: &str) -> Result<(), Failure> {
    if slot.is_some() {
        return Err(usage(format!("{what} given more than once")));
    }
    *slot = Some(value);
    Ok(())
}

fn apply_option(options: &mut Options, name: &str, value: String) -> Result<(), Failure> {
    match name {
        "--format" => {
            let format = match value.as_str() {
                "native" => FormatChoice::Native,
                "pyramid" => FormatChoice::Pyramid,
                other => {
                    return Err(usage(format!(
                        "--format: unknown format {other:?}: expected native or pyramid"
                    )));
                }
            };
            set_once(&mut options.format, format, "--format")
        }
        "--secret-hex" => {
            options.secrets.push(secret_from_hex(&value)?);
            Ok(())
        }
        "--secret" => {
            options.secrets.push(Secret::from_text(value));
            Ok(())
        }
        "--secret-env" => {
            let secret =
                Secret::from_env(&value).map_err(|e| usage(format!("--secret-env: {e}")))?;
            options.secrets.push(secret);
            Ok(())
        }
        "--salt" => set_once(
            &mut options.salt,
            Salt::from_text(value),
            "--salt/--salt-hex",
        ),
        "--salt-hex" => {
            let bytes = decode_hex(&value).map_err(|e| usage(format!("--salt-hex: {e}")))?;
            set_once(
                &mut options.salt,
                Salt::from_bytes(bytes),
                "--salt/--salt-hex",
            )
        }
        "--hash" => {
            let hash = value
                .parse::<PyramidHash>()
                .map_err(|e| usage(format!("--hash: {e}")))?;
            set_once(&mut options.hash, hash, "--hash")
        }
        "--cookie-name" => set_once(&mut options.cookie_name, value, "--cookie-name"),
        "--timeout" => {
            let timeout = if value.eq_ignore_ascii_case("none") {
                None
            } else {
                Some(parse_duration(&value).ok_or_else(|| {
                    usage("--timeout: expected a number of seconds (0 or more) or none")
                })?)
            };
            set_once(&mut options.timeout, timeout, "--timeout")
        }
        "--now" => set_once(&mut options.now, parse_time("--now", &value)?, "--now"),
        "--created" => set_once(
            &mut options.created,
            parse_time("--created", &value)?,
            "--created",
        ),
        "--state" => {
            let state = match serde_json::from_str::<Value>(&value) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(usage("--state must be a JSON object")),
                Err(e) => return Err(usage(format!("--state: invalid JSON: {e}"))),
            };
            set_once(&mut options.state, state, "--state")
        }
        _ => Err(usage(format!("unknown option {name}"))),
    }
}

/// A secret from hex; the error names a position, never the text.
fn secret_from_hex(hex: &str) -> Result<Secret, Failure> {
    if !hex.trim().len().is_multiple_of(2) {
        return Err(usage("--secret-hex: odd number of hex digits"));
    }
    Secret::from_hex(hex).map_err(|e| match e {
        ConfigError::InvalidHex { position } => {
            usage(format!("--secret-hex: invalid hex at position {position}"))
        }
        _ => usage("--secret-hex: invalid hex"),
    })
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let hex = hex.trim().as_bytes();
    if !hex.len().is_multiple_of(2) {
        return Err("odd number of hex digits".to_owned());
    }
    hex.chunks_exact(2)
        .enumerate()
        .map(|(i, pair)| {
            let digit = |at: usize| {
                char::from(pair[at])
                    .to_digit(16)
                    .ok_or_else(|| format!("invalid hex at position {}", 2 * i + at))
            };
            Ok((digit(0)? << 4 | digit(1)?) as u8)
        })
        .collect()
}

fn parse_duration(text: &str) -> Option<Duration> {
    let secs = text.parse::<f64>().ok()?;
    Duration::try_from_secs_f64(secs).ok()
}

/// The latest time accepted on the command line (about the year 5138): far beyond any real
/// session, and well inside what both formats store exactly.
const MAX_TIME: f64 = 1e11;

fn parse_time(option: &str, text: &str) -> Result<UnixTime, Failure> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| (0.0..=MAX_TIME).contains(secs))
        .and_then(UnixTime::from_secs_f64)
        .ok_or_else(|| {
            usage(format!(
                "{option}: expected UNIX seconds between 0 and 1e11, such as 1700001260.5"
            ))
        })
}

fn keygen() -> Result<u8, Failure> {
    let secret = Secret::try_generate().map_err(|e| Failure::Rejected(e.to_string()))?;
    write_stdout(&secret.to_base64url())?;
    Ok(0)
}

/// Builds the factory that `decode` and `encode` share, checking options that only make sense
/// with one format.
fn factory(options: &mut Options) -> Result<CookieSessionFactory, Failure> {
    let format = options.format.unwrap_or(FormatChoice::Native);
    if format == FormatChoice::Native && options.hash.is_some() {
        return Err(usage("--hash applies only to --format pyramid"));
    }
    if format == FormatChoice::Pyramid && options.encrypt {
        return Err(usage("--encrypt applies only to the native format"));
    }
    if options.secrets.is_empty() {
        return Err(usage(
            "a secret is required: --secret-hex HEX, --secret TEXT or --secret-env VAR",
        ));
    }
    let ring = KeyRing::from_secrets(std::mem::take(&mut options.secrets))
        .map_err(|e| usage(e.to_string()))?;
    // Re-issuing is a per-request concern; without this a small --timeout would be refused as
    // shorter than the default reissue time.
    // An operator holding the secret may read either native suite: nothing is re-issued here.
    let mut builder = CookieSessionFactory::builder(ring)
        .reissue_time(None::<Duration>)
        .accept_encrypted_cookies(true);
    builder = match format {
        FormatChoice::Pyramid => builder.pyramid(options.hash.unwrap_or_default()),
        FormatChoice::Native if options.encrypt => encrypted(builder)?,
        FormatChoice::Native => builder.format(Format::Signed),
    };
    if let Some(salt) = options.salt.take() {
        builder = builder.salt(salt);
    }
    if let Some(name) = options.cookie_name.take() {
        builder = builder.cookie_name(name);
    }
    if let Some(timeout) = options.timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|e| usage(e.to_string()))
}

#[cfg(feature = "encryption")]
fn encrypted(builder: CookieSessionConfig) -> Result<CookieSessionConfig, Failure> {
    Ok(builder.format(Format::Encrypted))
}

#[cfg(not(feature = "encryption"))]
fn encrypted(_: CookieSessionConfig) -> Result<CookieSessionConfig, Failure> {
    Err(usage(
        "--encrypt: this build has no encrypted format (build with --features cli,encryption)",
    ))
}

fn decode(mut options: Options) -> Result<u8, Failure> {
    if options.created.is_some() {
        return Err(usage("--created applies only to encode"));
    }
    if options.state.is_some() {
        return Err(usage("--state applies only to encode"));
    }
    let cookie = match options.positionals.len() {
        1 => options.positionals.pop().unwrap_or_default(),
        0 => return Err(usage("decode needs a COOKIE value")),
        // The extra arguments are not shown: one of them might be a misplaced secret.
        n => {
            return Err(usage(format!(
                "decode takes one COOKIE value, {n} were given"
            )));
        }
    };
    let factory = factory(&mut options)?;
    let now = options.now.unwrap_or_else(UnixTime::now);
    let mut out = Map::new();
    let code = match factory.verify(&cookie, now) {
        Ok(verified) => {
            out.insert("valid".into(), Value::Bool(true));
            out.insert("state".into(), Value::Object(verified.state));
            out.insert("created".into(), verified.created.as_secs_f64().into());
            out.insert("accessed".into(), verified.accessed.as_secs_f64().into());
            out.insert("key_index".into(), verified.key_index.into());
            0
        }
        Err(error) => {
            out.insert("valid".into(), Value::Bool(false));
            out.insert("reason".into(), error.code().into());
            eprintln!("cookie-session: {error}");
            EXIT_REJECTED
        }
    };
    write_stdout(&Value::Object(out).to_string())?;
    Ok(code)
}

fn encode(mut options: Options) -> Result<u8, Failure> {
    if !options.positionals.is_empty() {
        // Not shown: it might be a secret that lost its option name.
        return Err(usage(
            "encode takes no positional arguments (the session goes in --state JSON)",
        ));
    }
    let Some(state) = options.state.take() else {
        return Err(usage("encode needs --state JSON (a JSON object)"));
    };
    let factory = factory(&mut options)?;
    let now = options.now.unwrap_or_else(UnixTime::now);
    let created = options.created.unwrap_or(now);
    let value = factory
        .encode_value(&state, created, now)
        .map_err(|e| Failure::Rejected(e.to_string()))?;
    write_stdout(&value)?;
    Ok(0)
}
