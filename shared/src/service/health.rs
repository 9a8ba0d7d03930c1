//! The service's own account of its health, for `GET /healthz` (readiness) and operators:
//! each check says ok, degraded (serving, but something needs a person: dead letters, a
//! model that failed to load) or failing (not able to serve correctly: the store cannot
//! read or write, the storage layer panicked). Liveness (`GET /livez`) only asks whether
//! the process answers at all.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Framewise;

/// How long a panicked request keeps the health failing.
const PANIC_WINDOW_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Degraded,
    Failing,
}

/// One check of the health report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HealthCheck {
    /// `store`, `queue`, `dead_letters`, `model` or `requests`.
    pub name: &'static str,
    pub status: HealthStatus,
    /// What is wrong and what to do, when it is not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The whole health report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HealthReport {
    /// The worst status of the checks.
    pub status: HealthStatus,
    pub checks: Vec<HealthCheck>,
    /// The model artifact the engine serves from.
    pub model_version: String,
    /// Styles in the served catalogue.
    pub styles: usize,
    /// Signals accepted and not processed yet; `null` when the queue cannot be read.
    pub queue_depth: Option<u64>,
    /// Signals set aside after too many failed deliveries; `null` where the backend counts
    /// them elsewhere (the dead-letter queue's alarm on AWS).
    pub dead_letters: Option<u64>,
}

/// When requests last panicked.
#[derive(Debug, Default)]
pub(super) struct PanicLog {
    last: Mutex<Option<(DateTime<Utc>, u64)>>,
}

impl Framewise {
    /// Called by the HTTP layer when a request panicked: the health fails for a while.
    pub fn record_request_panic(&self) {
        let mut last = self
            .request_panics
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let count = last.map_or(0, |(_, n)| n) + 1;
        *last = Some((Utc::now(), count));
    }

    /// Runs every check; never fails (a check that cannot run reports failing).
    pub async fn health(&self, now: DateTime<Utc>) -> HealthReport {
        let engine = self.engine();
        let mut checks = Vec::new();
        let store = self.stores.health.failure().await;
        checks.push(match store {
            None => ok("store"),
            Some(failure) => HealthCheck {
                name: "store",
                status: HealthStatus::Failing,
                detail: Some(format!(
                    "{} failure since {}: {}",
                    failure.kind,
                    failure.since.to_rfc3339(),
                    failure.error
                )),
            },
        });
        let queue_depth = match self.stores.queue.depth().await {
            Ok(depth) => {
                checks.push(ok("queue"));
                Some(depth)
            }
            Err(e) => {
                checks.push(failing("queue", format!("the queue cannot be read: {e}")));
                None
            }
        };
        let dead_letters = match self.stores.health.dead_letters().await {
            Ok(count @ (Some(0) | None)) => {
                checks.push(ok("dead_letters"));
                count
            }
            Ok(Some(n)) => {
                checks.push(HealthCheck {
                    name: "dead_letters",
                    status: HealthStatus::Degraded,
                    detail: Some(format!(
                        "{n} signals failed too often and wait in the dead letters: inspect \
                         them with `framewise dlq list`, then `framewise dlq redrive` or `purge`"
                    )),
                });
                Some(n)
            }
            Err(e) => {
                checks.push(failing(
                    "dead_letters",
                    format!("the dead letters cannot be read: {e}"),
                ));
                None
            }
        };
        let fallback = self
            .model_fallback
            .read()
            .map_or_else(|p| p.into_inner().clone(), |g| g.clone());
        checks.push(match fallback {
            None => ok("model"),
            Some(reason) => HealthCheck {
                name: "model",
                status: HealthStatus::Degraded,
                detail: Some(reason),
            },
        });
        let panics = *self
            .request_panics
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        checks.push(match panics {
            Some((at, count)) if now - at < Duration::minutes(PANIC_WINDOW_MINUTES) => failing(
                "requests",
                format!(
                    "{count} requests panicked since start, the last at {}",
                    at.to_rfc3339()
                ),
            ),
            _ => ok("requests"),
        });
        HealthReport {
            status: checks
                .iter()
                .map(|c| c.status)
                .max()
                .unwrap_or(HealthStatus::Ok),
            checks,
            model_version: engine.model_version().to_string(),
            styles: engine.styles().count(),
            queue_depth,
            dead_letters,
        }
    }
}

fn ok(name: &'static str) -> HealthCheck {
    HealthCheck {
        name,
        status: HealthStatus::Ok,
        detail: None,
    }
}

fn failing(name: &'static str, detail: String) -> HealthCheck {
    HealthCheck {
        name,
        status: HealthStatus::Failing,
        detail: Some(detail),
    }
}
