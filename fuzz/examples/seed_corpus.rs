//! Writes the seed corpora: `cargo run --manifest-path fuzz/Cargo.toml --example seed_corpus
//! [OUT_DIR]` fills `OUT_DIR/<target>/` (default `fuzz/corpus`) from the library's test vectors
//! and from cookies written with the harness's keys. Existing files are kept: libFuzzer adds its
//! own finds next to the seeds.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out_dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| manifest_dir.join("corpus"), PathBuf::from);
    let vectors = manifest_dir.join("../tests/data");
    let seeds = match cookie_session_fuzz::seeds::seeds(&vectors) {
        Ok(seeds) => seeds,
        Err(error) => {
            eprintln!("seed_corpus: {error}");
            return ExitCode::FAILURE;
        }
    };
    for seed in &seeds {
        let dir = out_dir.join(seed.target);
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(format!("seed-{}", seed.name)), &seed.bytes));
        if let Err(error) = written {
            eprintln!("seed_corpus: {}: {error}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    for target in cookie_session_fuzz::harness::TARGETS {
        let count = seeds.iter().filter(|seed| seed.target == target).count();
        println!(
            "{target}: {count} seeds in {}",
            out_dir.join(target).display()
        );
    }
    ExitCode::SUCCESS
}
