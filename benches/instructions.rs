//! A tiny driver for instruction counts: runs one operation N times, so that
//! `valgrind --tool=callgrind` can count it (`scripts/callgrind.sh` runs it twice with different
//! N and divides the difference, which cancels the setup).
//!
//! ```sh
//! cargo bench --bench instructions --features encryption --no-run   # build it
//! target/release/deps/instructions-* --list                         # the operations
//! target/release/deps/instructions-* load-signed-small 1000         # run one 1000 times
//! ```
//!
//! `instructions cookies` prints the Pyramid cookies the operations read and the ones `finish`
//! writes, one `size<TAB>read<TAB>written` a line. Run by `cargo bench` (no operation given), it runs each operation once as a smoke
//! test.

use std::process::ExitCode;

mod common;
use common::ops::{names, operation};
use common::{Case, Size, Wire};

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; anything starting with `-` other than `--list` is ignored.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a == "--list" || !a.starts_with('-'))
        .collect();
    match args.as_slice() {
        [] => {
            for name in names() {
                let mut op = operation(&name).expect("every listed operation exists");
                op();
            }
            println!(
                "instructions: {} operations ran once; count them with scripts/callgrind.sh",
                names().len()
            );
            ExitCode::SUCCESS
        }
        [cookies] if cookies == "cookies" => {
            // For scripts/pyramid_timing.py: the very cookies the Pyramid operations read.
            for size in Size::ALL {
                let case = Case::new(Wire::Pyramid, size);
                let written = case.finish();
                let written = written
                    .split_once('=')
                    .and_then(|(_, rest)| rest.split(';').next())
                    .unwrap_or_default();
                println!("{}\t{}\t{written}", size.name(), case.cookie);
            }
            ExitCode::SUCCESS
        }
        [list] if list == "--list" => {
            for name in names() {
                println!("{name}");
            }
            ExitCode::SUCCESS
        }
        [name, count] => {
            let (Some(mut op), Ok(count)) = (operation(name), count.parse::<u64>()) else {
                eprintln!(
                    "usage: instructions [--list | cookies | OPERATION COUNT]; unknown {name:?}"
                );
                return ExitCode::from(2);
            };
            for _ in 0..count {
                op();
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: instructions [--list | cookies | OPERATION COUNT]");
            ExitCode::from(2)
        }
    }
}
