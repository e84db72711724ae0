#!/usr/bin/env bash
# Writes the seed corpora into fuzz/corpus/<target>/ (ignored by git; libFuzzer adds its finds
# there) from tests/data/*.json and from cookies the library writes with the fuzz harness's keys.
#
#   scripts/fuzz-seed.sh [OUT_DIR]        default OUT_DIR: fuzz/corpus
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/fuzz/corpus}

cargo run --quiet --manifest-path "$root/fuzz/Cargo.toml" --example seed_corpus -- "$out"
