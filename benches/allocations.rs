//! Heap allocations per operation, counted by a counting global allocator (`stats_alloc`
//! around the system allocator), for every operation of `instructions`.
//!
//! ```sh
//! cargo bench --bench allocations --features encryption             # all, as a table
//! cargo bench --bench allocations --features encryption -- load     # names containing "load"
//! ```
//!
//! Output: one tab-separated line per operation: name, allocations, reallocations, bytes
//! allocated (per operation, averaged over many runs after a warm-up run).

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

mod common;
use common::ops::{names, operation};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const RUNS: usize = 200;

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    println!("operation\tallocations\treallocations\tbytes");
    for name in names() {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let mut op = operation(&name).expect("every listed operation exists");
        // The first run may fill lazily initialised state (thread locals, CPU feature caches).
        op();
        let region = Region::new(GLOBAL);
        for _ in 0..RUNS {
            op();
        }
        let change = region.change();
        let per_op = |n: usize| n as f64 / RUNS as f64;
        println!(
            "{name}\t{}\t{}\t{}",
            fmt(per_op(change.allocations)),
            fmt(per_op(change.reallocations)),
            fmt(per_op(change.bytes_allocated)),
        );
    }
}

/// Whole numbers print without decimals: allocation counts per operation are exact.
fn fmt(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}
