//! The running node's shared state: the chain behind a lock, the clock, faults and the log.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nem::NemTimestamp;
use nem::time::EPOCH_UNIX_SECONDS;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::chain::Chain;
use crate::config::{Config, ConfigError, Faults};

pub struct Node {
    pub chain: Mutex<Chain>,
    clock_offset_ms: AtomicI64,
    faults: Mutex<FaultState>,
    request_log: Option<Mutex<std::fs::File>>,
}

struct FaultState {
    config: Faults,
    rng: StdRng,
}

/// What the HTTP layer does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    None,
    Unavailable,
    Drop,
    Malformed,
    AcceptThenDrop,
}

#[derive(Debug, Clone, Copy)]
pub struct FaultAction {
    pub delay: Option<Duration>,
    pub kind: FaultKind,
}

impl Node {
    pub fn new(config: &Config) -> Result<Node, ConfigError> {
        let chain = Chain::from_config(config)?;
        let request_log = match &config.request_log {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        ConfigError::Invalid(format!("request log {}: {e}", path.display()))
                    })?;
                Some(Mutex::new(file))
            }
            None => None,
        };
        Ok(Node {
            chain: Mutex::new(chain),
            clock_offset_ms: AtomicI64::new(0),
            faults: Mutex::new(FaultState {
                config: config.faults.clone(),
                rng: StdRng::seed_from_u64(config.faults.seed),
            }),
            request_log,
        })
    }

    /// Network time in milliseconds since the NEM epoch: the local clock plus the test offset.
    pub fn network_millis(&self) -> u64 {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let ms = unix_ms - EPOCH_UNIX_SECONDS * 1000 + self.clock_offset_ms.load(Ordering::Relaxed);
        u64::try_from(ms).unwrap_or(0)
    }

    pub fn now(&self) -> NemTimestamp {
        NemTimestamp::from_network_millis(self.network_millis()).unwrap_or_default()
    }

    pub fn set_clock_offset_ms(&self, offset: i64) {
        self.clock_offset_ms.store(offset, Ordering::Relaxed);
    }

    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    pub fn lock_chain(&self) -> std::sync::MutexGuard<'_, Chain> {
        // A panic while holding the lock cannot leave the chain half-updated in a way that
        // matters for a dev node; keep serving.
        self.chain
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .map(|f| f.config.clone())
            .unwrap_or_default()
    }

    pub fn set_faults(&self, faults: Faults) {
        if let Ok(mut state) = self.faults.lock() {
            state.rng = StdRng::seed_from_u64(faults.seed);
            state.config = faults;
        }
    }

    /// Draws the faults for one request. `/dev/*` control endpoints are never faulted.
    pub fn decide_fault(&self, path: &str) -> FaultAction {
        let none = FaultAction {
            delay: None,
            kind: FaultKind::None,
        };
        if path.starts_with("/dev/") {
            return none;
        }
        let Ok(mut state) = self.faults.lock() else {
            return none;
        };
        let f = state.config.clone();
        let mut hit = |share: f64| share > 0.0 && state.rng.random::<f64>() < share;
        let delay = hit(f.delay).then(|| Duration::from_millis(f.delay_ms));
        let kind = if hit(f.unavailable) {
            FaultKind::Unavailable
        } else if hit(f.drop) {
            FaultKind::Drop
        } else if path == "/transaction/announce" && hit(f.announce_accept_then_drop) {
            FaultKind::AcceptThenDrop
        } else if hit(f.malformed) {
            FaultKind::Malformed
        } else {
            FaultKind::None
        };
        FaultAction { delay, kind }
    }

    /// Appends one announce request (`{"data","signature"}`) as a JSON line, in arrival order.
    pub fn log_announce(&self, data: &str, signature: &str) {
        if let Some(log) = &self.request_log {
            let line = serde_json::json!({ "data": data, "signature": signature }).to_string();
            if let Ok(mut file) = log.lock()
                && let Err(e) = writeln!(file, "{line}").and_then(|_| file.flush())
            {
                tracing::error!(error = %e, "cannot write the announce log");
            }
        }
    }
}
