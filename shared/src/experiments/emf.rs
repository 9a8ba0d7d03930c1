//! Measurement events as CloudWatch Embedded Metric Format lines: a Lambda function prints
//! one JSON line per exposure or credited batch, and CloudWatch Logs turns it into metrics
//! (no PutMetricData call, no extra latency), per placement and variant. The dashboard
//! divides them: CTR = Clicks / Exposures, conversion = Purchases / Exposures, revenue per
//! exposure = RevenueCents / Exposures.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::attribution::{CellKey, Counters, Credit, Exposure};

/// Variant dimension of lists served outside experiments.
pub const NO_VARIANT: &str = "default";

/// Where measurement events go besides the store.
pub trait MeasurementEvents: Send + Sync {
    /// A list was shown.
    fn exposure(&self, exposure: &Exposure);
    /// Actions were credited to lists (new credits only).
    fn credits(&self, credits: &[Credit], at: DateTime<Utc>);
}

/// Writes EMF lines to `out` (stdout on Lambda, a buffer in tests).
pub struct EmfWriter<W: Fn(&str) + Send + Sync> {
    namespace: String,
    out: W,
}

impl<W: Fn(&str) + Send + Sync> EmfWriter<W> {
    pub fn new(namespace: impl Into<String>, out: W) -> Self {
        Self {
            namespace: namespace.into(),
            out,
        }
    }
}

impl<W: Fn(&str) + Send + Sync> MeasurementEvents for EmfWriter<W> {
    fn exposure(&self, exposure: &Exposure) {
        let mut counters = Counters::default();
        counters.add_exposure(exposure);
        (self.out)(&emf_line(
            &self.namespace,
            &CellKey::for_exposure(exposure),
            &counters,
            exposure.at,
        ));
    }

    fn credits(&self, credits: &[Credit], at: DateTime<Utc>) {
        // One line per cell, so a batch of 10 signals is at most a few lines.
        let mut cells: BTreeMap<&CellKey, Counters> = BTreeMap::new();
        for credit in credits {
            cells
                .entry(&credit.cell)
                .or_default()
                .merge(&credit.counters);
        }
        for (cell, counters) in cells {
            (self.out)(&emf_line(&self.namespace, cell, &counters, at));
        }
    }
}

/// One EMF line with the non-zero counts of `counters` as metrics, dimensioned by the
/// cell's placement and variant (model versions change nightly: they would make a new
/// metric every day, so they stay in the store's cells, not in CloudWatch).
pub fn emf_line(namespace: &str, cell: &CellKey, counters: &Counters, at: DateTime<Utc>) -> String {
    let values: [(&str, &str, f64); 13] = [
        ("Exposures", "Count", counters.exposures as f64),
        ("ItemsShown", "Count", counters.items_shown as f64),
        ("Clicks", "Count", counters.clicks as f64),
        ("TryOns", "Count", counters.try_ons as f64),
        ("AddToCarts", "Count", counters.add_to_carts as f64),
        ("Purchases", "Count", counters.purchases as f64),
        ("RevenueCents", "None", counters.revenue_cents as f64),
        ("Returns", "Count", counters.returns as f64),
        ("ReturnedCents", "None", counters.returned_cents as f64),
        // Novelty = NovelItems / ItemsShown; satisfaction = RatingSum / Ratings.
        ("NovelItems", "Count", counters.novel_items as f64),
        ("Ratings", "Count", counters.ratings as f64),
        ("RatingSum", "None", counters.rating_sum as f64),
        (
            "CohortRevenueCents",
            "None",
            counters.cohort_revenue_cents as f64,
        ),
    ];
    let mut line = Map::new();
    let mut metrics = Vec::new();
    for (name, unit, value) in values.into_iter().filter(|(_, _, v)| *v != 0.0) {
        metrics.push(json!({ "Name": name, "Unit": unit }));
        line.insert(name.to_string(), json!(value));
    }
    line.insert("Placement".into(), json!(cell.placement));
    line.insert(
        "Variant".into(),
        json!(cell.variant.as_deref().unwrap_or(NO_VARIANT)),
    );
    line.insert(
        "_aws".into(),
        json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["Placement", "Variant"]],
                "Metrics": metrics,
            }],
        }),
    );
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::TimeZone;

    use super::*;

    #[test]
    fn when_exposure_is_written_should_be_an_emf_line_with_its_counts_and_dimensions() {
        let lines = Mutex::new(Vec::new());
        let writer = EmfWriter::new("Framewise/test", |line: &str| {
            lines.lock().unwrap().push(line.to_string())
        });
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        writer.exposure(&Exposure {
            exposure_id: "x1".into(),
            recommendation_id: "rec-1".into(),
            subject: "c:1".into(),
            placement: "home".into(),
            variant: None,
            model_version: "v1".into(),
            items: vec!["a".into(), "b".into(), "c".into()],
            offset: 0,
            at,
            novel_items: 0,
            diversity_milli: 0,
        });
        let lines = lines.into_inner().unwrap();
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["Exposures"], json!(1.0));
        assert_eq!(line["ItemsShown"], json!(3.0));
        assert_eq!(line["Variant"], json!(NO_VARIANT));
        assert_eq!(line["Placement"], json!("home"));
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], json!("Framewise/test"));
        assert_eq!(directive["Dimensions"], json!([["Placement", "Variant"]]));
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["Name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["Exposures", "ItemsShown"],
            "zero counts are left out"
        );
        assert_eq!(line["_aws"]["Timestamp"], json!(at.timestamp_millis()));
    }
}
