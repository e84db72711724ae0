//! The three commands, once their arguments are parsed.

use std::io::Write as _;

use clap::ArgMatches;
use cookie_session::{Secret, UnixTime};
use serde_json::{Map, Value};

use crate::args::{DecodeArgs, EncodeArgs};
use crate::failure::Failure;
use crate::format::factory_for;

pub fn keygen() -> Result<u8, Failure> {
    let secret = Secret::try_generate().map_err(|e| Failure::Rejected(e.to_string()))?;
    write_stdout(&secret.to_base64url())?;
    Ok(0)
}

/// Prints the contract's JSON object; exit 0 for a valid cookie, 1 otherwise.
pub fn decode(args: DecodeArgs, matches: &ArgMatches) -> Result<u8, Failure> {
    let now = args.cookie.now.unwrap_or_else(UnixTime::now);
    let (format, options) = args.cookie.into_factory_options(matches);
    let factory = factory_for(format, options)?;
    // Built key by key: the contract fixes their order.
    let mut out = Map::new();
    let code = match factory.verify(&args.value, now) {
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
            let _ = writeln!(std::io::stderr().lock(), "cookie-session: {error}");
            1
        }
    };
    write_stdout(&Value::Object(out).to_string())?;
    Ok(code)
}

/// Prints the cookie value that holds `--state`.
pub fn encode(args: EncodeArgs, matches: &ArgMatches) -> Result<u8, Failure> {
    let now = args.cookie.now.unwrap_or_else(UnixTime::now);
    let created = args.created.unwrap_or(now);
    let (format, options) = args.cookie.into_factory_options(matches);
    let factory = factory_for(format, options)?;
    let value = factory
        .encode_value(&args.state, created, now)
        .map_err(|e| Failure::Rejected(e.to_string()))?;
    write_stdout(&value)?;
    Ok(0)
}

fn write_stdout(line: &str) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| Failure::Rejected(format!("cannot write to standard output: {e}")))
}
