//! Runs an operation repeatedly for a fixed time and reports operations per second.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub ops: u64,
    pub seconds: f64,
    pub ops_per_second: f64,
    pub micros_per_op: f64,
}

/// Calls `op` in batches until `budget` has passed; at least one batch.
pub fn throughput<T>(name: &str, budget: Duration, mut op: impl FnMut() -> T) -> Figure {
    let batch = 64;
    let start = Instant::now();
    let mut ops = 0u64;
    loop {
        for _ in 0..batch {
            black_box(op());
        }
        ops += batch;
        if start.elapsed() >= budget {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Figure {
        name: name.to_string(),
        ops,
        seconds,
        ops_per_second: ops as f64 / seconds,
        micros_per_op: seconds * 1e6 / ops as f64,
    }
}
