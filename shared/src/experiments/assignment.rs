//! Experiments and who sees which variant. Assignment is a salted hash of the experiment's
//! salt and the shopper's key (customer, or session for anonymous shoppers): no stored
//! state, the same answer in the local server and in every Lambda, and sticky for as long
//! as the experiment's salt, traffic and shares do not change. At most one running
//! experiment may cover a placement at a time (an experiment without a placement covers
//! them all), so a list belongs to one experiment and its variant is unambiguous.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What an experiment is judged on, or guarded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Ctr,
    TryOnRate,
    AddToCartRate,
    ConversionRate,
    RevenuePerExposure,
    AverageOrderValue,
    ReturnRate,
    /// Mean post-purchase rating (1-5) of the arm's shoppers.
    Satisfaction,
    /// 95th percentile of the time to serve a list, in milliseconds.
    P95LatencyMs,
}

/// One arm: a name, its share of the experiment's traffic and the configuration keys it
/// changes (a TOML table in the shape of the configuration file, e.g. `{ engine = {
/// diversity_lambda = 0.5 } }`); an empty table is the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExperimentVariant {
    pub name: String,
    pub share: f64,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: toml::Table,
}

/// An experiment as created by `framewise experiment create` or the admin API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Experiment {
    pub id: String,
    /// The placement it runs on; `None` runs on every placement.
    #[serde(default)]
    pub placement: Option<String>,
    pub variants: Vec<ExperimentVariant>,
    pub primary_metric: Metric,
    #[serde(default)]
    pub guardrails: Vec<Metric>,
    pub start: DateTime<Utc>,
    #[serde(default)]
    pub stop: Option<DateTime<Utc>>,
    /// Share of shoppers in the experiment, in (0, 1]; the others get the default.
    #[serde(default = "all_traffic")]
    pub traffic: f64,
    /// Mixed into the hash; a new salt reshuffles everyone (defaults to the id).
    #[serde(default)]
    pub salt: Option<String>,
}

fn all_traffic() -> f64 {
    1.0
}

/// An experiment that cannot run, naming the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExperimentError {
    #[error("experiment field `{field}`: {message}")]
    Invalid { field: String, message: String },
    #[error("experiments {first} and {second} overlap on placement {placement}")]
    Overlap {
        first: String,
        second: String,
        placement: String,
    },
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ExperimentError {
    ExperimentError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// A point in [0, 1) drawn from SHA-256 of `salt` and `subject`: uniform, independent
/// between salts, and the same on every machine.
pub fn bucket(salt: &str, subject: &str) -> f64 {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update([0u8])
        .chain_update(subject.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // 53 bits: every value is exactly representable as f64 and below 1.
    (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

impl Experiment {
    /// Checks ids, shares, traffic and dates; the first problem is named.
    pub fn validate(&self) -> Result<(), ExperimentError> {
        if !valid_id(&self.id) {
            return Err(invalid("id", "1-64 characters of A-Z a-z 0-9 _ . : -"));
        }
        if self.placement.as_deref().is_some_and(|p| !valid_id(p)) {
            return Err(invalid(
                "placement",
                "1-64 characters of A-Z a-z 0-9 _ . : -",
            ));
        }
        if self.variants.len() < 2 {
            return Err(invalid("variants", "at least two variants"));
        }
        for (i, variant) in self.variants.iter().enumerate() {
            if !valid_id(&variant.name) {
                return Err(invalid(
                    format!("variants[{i}].name"),
                    "1-64 characters of A-Z a-z 0-9 _ . : -",
                ));
            }
            if self.variants[..i].iter().any(|v| v.name == variant.name) {
                return Err(invalid(format!("variants[{i}].name"), "names must differ"));
            }
            if !(variant.share.is_finite() && variant.share > 0.0) {
                return Err(invalid(
                    format!("variants[{i}].share"),
                    "must be a positive number",
                ));
            }
        }
        if !(self.traffic.is_finite() && self.traffic > 0.0 && self.traffic <= 1.0) {
            return Err(invalid("traffic", "must be in (0, 1]"));
        }
        if self.stop.is_some_and(|stop| stop <= self.start) {
            return Err(invalid("stop", "must be after start"));
        }
        if self.guardrails.contains(&self.primary_metric) {
            return Err(invalid("guardrails", "must not repeat the primary metric"));
        }
        Ok(())
    }

    /// Whether the experiment assigns shoppers at `now`.
    pub fn is_running(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && self.stop.is_none_or(|stop| now < stop)
    }

    /// Whether it covers `placement`.
    pub fn covers(&self, placement: &str) -> bool {
        self.placement.as_deref().is_none_or(|p| p == placement)
    }

    /// Each variant's share of the experiment's traffic (shares normalised to sum 1).
    pub fn normalised_shares(&self) -> Vec<f64> {
        let total: f64 = self.variants.iter().map(|v| v.share).sum();
        self.variants
            .iter()
            .map(|v| if total > 0.0 { v.share / total } else { 0.0 })
            .collect()
    }

    /// The variant `subject` sees, `None` when they are outside the experiment's traffic.
    /// Does not look at dates or placement: see [`assignment`].
    pub fn assign(&self, subject: &str) -> Option<&ExperimentVariant> {
        let salt = self.salt.as_deref().unwrap_or(&self.id);
        // Who is in and which arm are two independent draws, so ramping traffic up or down
        // never moves a shopper who stays in to another arm.
        if bucket(&format!("{salt}#traffic"), subject) >= self.traffic {
            return None;
        }
        let mut within = bucket(salt, subject);
        let shares = self.normalised_shares();
        for (variant, share) in self.variants.iter().zip(&shares) {
            if within < *share {
                return Some(variant);
            }
            within -= share;
        }
        // Rounding left a sliver past the last share: it belongs to the last arm.
        self.variants.last()
    }

    fn overlaps_in_time(&self, other: &Experiment) -> bool {
        let ends_before = |a: &Experiment, b: &Experiment| a.stop.is_some_and(|s| s <= b.start);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// Refuses a set of experiments where two overlap in time on one placement (one without a
/// placement overlaps with every other), naming both.
pub fn check_layers(experiments: &[Experiment]) -> Result<(), ExperimentError> {
    for (i, first) in experiments.iter().enumerate() {
        for second in &experiments[i + 1..] {
            let placement = match (&first.placement, &second.placement) {
                (Some(a), Some(b)) if a != b => continue,
                (Some(a), _) | (None, Some(a)) => a.clone(),
                (None, None) => "(all)".to_string(),
            };
            if first.overlaps_in_time(second) {
                return Err(ExperimentError::Overlap {
                    first: first.id.clone(),
                    second: second.id.clone(),
                    placement,
                });
            }
        }
    }
    Ok(())
}

/// The experiment running on `placement` at `now` and the variant `subject` sees in it;
/// `None` when none runs there or the shopper is outside its traffic (the default serves).
pub fn assignment<'a>(
    experiments: &'a [Experiment],
    placement: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Option<(&'a Experiment, &'a ExperimentVariant)> {
    let experiment = experiments
        .iter()
        .find(|e| e.is_running(now) && e.covers(placement))?;
    experiment.assign(subject).map(|v| (experiment, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("valid date")
    }

    fn experiment(id: &str, placement: Option<&str>, shares: &[f64]) -> Experiment {
        Experiment {
            id: id.into(),
            placement: placement.map(String::from),
            variants: shares
                .iter()
                .enumerate()
                .map(|(i, share)| ExperimentVariant {
                    name: format!("v{i}"),
                    share: *share,
                    settings: toml::Table::new(),
                })
                .collect(),
            primary_metric: Metric::ConversionRate,
            guardrails: vec![Metric::ReturnRate],
            start: start(),
            stop: None,
            traffic: 1.0,
            salt: None,
        }
    }

    fn counts(e: &Experiment, n: usize) -> Vec<usize> {
        let mut counts = vec![0; e.variants.len() + 1];
        for i in 0..n {
            match e.assign(&format!("customer:{i}")) {
                Some(v) => counts[e.variants.iter().position(|x| x == v).unwrap_or(0)] += 1,
                None => counts[e.variants.len()] += 1,
            }
        }
        counts
    }

    #[test]
    fn when_bucket_computed_should_be_fixed_across_processes_and_salts() {
        // Pinned (computed independently with Python hashlib): every machine and process
        // computes this value.
        assert_eq!(
            bucket("exp-1", "customer:c1"),
            bucket("exp-1", "customer:c1")
        );
        let pinned = bucket("exp-1", "customer:c1");
        assert!((0.0..1.0).contains(&pinned));
        assert_eq!(format!("{pinned:.12}"), "0.494339667655");
        assert_ne!(
            bucket("exp-2", "customer:c1"),
            pinned,
            "salts are independent"
        );
        assert_ne!(
            bucket("exp-1c", "ustomer:c1"),
            pinned,
            "the separator matters"
        );
    }

    #[test]
    fn when_shares_are_70_30_should_split_shoppers_near_70_30_and_keep_each_sticky() {
        let e = experiment("split", None, &[7.0, 3.0]);
        let c = counts(&e, 20_000);
        assert_eq!(c[2], 0, "full traffic leaves nobody out");
        let share = c[0] as f64 / 20_000.0;
        assert!((share - 0.7).abs() < 0.015, "{c:?}");
        let first = e.assign("session:s9").map(|v| v.name.clone());
        assert_eq!(e.assign("session:s9").map(|v| v.name.clone()), first);
    }

    #[test]
    fn when_traffic_is_halved_should_leave_half_out_and_keep_the_rest_in_their_arms() {
        let full = experiment("t", None, &[1.0, 1.0]);
        let half = Experiment {
            traffic: 0.5,
            ..full.clone()
        };
        let c = counts(&half, 20_000);
        assert!((c[2] as f64 / 20_000.0 - 0.5).abs() < 0.015, "{c:?}");
        // Ramping traffic moves nobody who stays in to another arm.
        let mut both = 0;
        for subject in (0..2_000).map(|i| format!("customer:{i}")) {
            if let Some(arm) = half.assign(&subject) {
                assert_eq!(full.assign(&subject), Some(arm), "{subject}");
                both += 1;
            }
        }
        assert!(both > 800, "{both}");
    }

    #[test]
    fn when_experiment_is_invalid_should_name_the_field() {
        let field = |e: Experiment| match e.validate() {
            Err(ExperimentError::Invalid { field, .. }) => field,
            other => panic!("expected invalid, got {other:?}"),
        };
        let ok = experiment("ok", Some("pdp"), &[1.0, 1.0]);
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(field(experiment("bad id", None, &[1.0, 1.0])), "id");
        assert_eq!(field(experiment("one", None, &[1.0])), "variants");
        assert_eq!(
            field(experiment("neg", None, &[1.0, -1.0])),
            "variants[1].share"
        );
        let mut twins = ok.clone();
        twins.variants[1].name = "v0".into();
        assert_eq!(field(twins), "variants[1].name");
        assert_eq!(
            field(Experiment {
                traffic: 1.5,
                ..ok.clone()
            }),
            "traffic"
        );
        assert_eq!(
            field(Experiment {
                stop: Some(start()),
                ..ok.clone()
            }),
            "stop"
        );
        assert_eq!(
            field(Experiment {
                guardrails: vec![Metric::ConversionRate],
                ..ok
            }),
            "guardrails"
        );
    }

    #[test]
    fn when_two_experiments_share_a_placement_in_time_should_refuse_them() {
        let a = experiment("a", Some("pdp"), &[1.0, 1.0]);
        let b = experiment("b", Some("home"), &[1.0, 1.0]);
        assert_eq!(check_layers(&[a.clone(), b.clone()]), Ok(()));
        let everywhere = experiment("all", None, &[1.0, 1.0]);
        assert!(matches!(
            check_layers(&[a.clone(), everywhere]),
            Err(ExperimentError::Overlap { placement, .. }) if placement == "pdp"
        ));
        // The same placement one after the other is fine.
        let earlier = Experiment {
            id: "earlier".into(),
            start: start() - Duration::days(10),
            stop: Some(start()),
            ..a.clone()
        };
        assert_eq!(check_layers(&[earlier, a]), Ok(()));
    }

    #[test]
    fn when_placement_or_dates_do_not_match_should_serve_the_default() {
        let e = Experiment {
            stop: Some(start() + Duration::days(7)),
            ..experiment("pdp-test", Some("pdp"), &[1.0, 1.0])
        };
        let list = [e];
        let during = start() + Duration::days(1);
        assert!(assignment(&list, "pdp", "customer:c1", during).is_some());
        assert!(assignment(&list, "home", "customer:c1", during).is_none());
        assert!(assignment(&list, "pdp", "customer:c1", start() - Duration::hours(1)).is_none());
        assert!(assignment(&list, "pdp", "customer:c1", start() + Duration::days(7)).is_none());
    }
}
