//! `cookie-session`: make secrets, and decode or encode session cookies from the shell.
//!
//! The interface is a contract (the README's "Command-line tool" section): scripts and checks
//! outside the test suite drive it. Exit codes: 0 success (or a valid cookie), 1 an invalid or
//! expired cookie or a cookie that cannot be written, 2 a usage error. No error message ever
//! repeats an argument's value: it might be a secret typed in the wrong place.

mod args;
mod commands;
mod failure;
mod format;

use std::io::Write as _;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _};

use args::{Cli, Command};
use failure::Failure;

fn main() -> ExitCode {
    let code = match run() {
        Ok(code) => code,
        Err(failure) => {
            // Failing to write it is ignored: the exit code still tells.
            let _ = writeln!(std::io::stderr().lock(), "cookie-session: {failure}");
            failure.exit_code()
        }
    };
    ExitCode::from(code)
}

fn run() -> Result<u8, Failure> {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            // Help and version are no errors: clap prints them to standard output.
            error
                .print()
                .map_err(|e| Failure::Rejected(format!("cannot write to standard output: {e}")))?;
            return Ok(0);
        }
        Err(error) => return Err(Failure::from_clap(&error)),
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|error| Failure::from_clap(&error))?;
    // The subcommand's own matches tell where each option stood on the command line.
    let Some((_, sub_matches)) = matches.subcommand() else {
        return Err(Failure::Usage(failure::MISSING_COMMAND.to_owned()));
    };
    match cli.command {
        Command::Keygen => commands::keygen(),
        Command::Decode(args) => commands::decode(args, sub_matches),
        Command::Encode(args) => commands::encode(args, sub_matches),
    }
}
