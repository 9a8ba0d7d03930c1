//! `framewise experiment report ID --html FILE`: the report a merchandiser reads, one
//! self-contained HTML page. Charts are drawn by plotters as inline SVG: each variant's daily
//! CTR and conversion with 95% intervals, and the cumulative lift of the primary metric over
//! the control with its 95% interval. The summary table is the JSON report's numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use framewise::experiments::attribution::{CellKey, Counters};
use framewise::experiments::report::ALPHA;
use framewise::experiments::stats::{Interval, Proportion};
use framewise::experiments::{report, Experiment, ExperimentReport};
use plotters::prelude::*;
use serde::Serialize;

type Error = Box<dyn std::error::Error>;

const WIDTH: u32 = 820;
const HEIGHT: u32 = 320;

/// One line of a chart: a value per day (None where the day has no data) and its interval.
struct Series {
    name: String,
    points: Vec<Option<(f64, Interval)>>,
}

/// Daily counters per variant, days in order.
fn daily(
    experiment: &Experiment,
    cells: &[(CellKey, Counters)],
) -> (Vec<NaiveDate>, Vec<Vec<Counters>>) {
    let days: Vec<NaiveDate> = cells
        .iter()
        .map(|(k, _)| k.day)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index: BTreeMap<NaiveDate, usize> = days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
    let mut per_variant = vec![vec![Counters::default(); days.len()]; experiment.variants.len()];
    for (key, counters) in cells {
        let arm = experiment
            .variants
            .iter()
            .position(|v| Some(v.name.as_str()) == key.variant.as_deref());
        if let (Some(arm), Some(day)) = (arm, index.get(&key.day)) {
            per_variant[arm][*day].merge(counters);
        }
    }
    (days, per_variant)
}

fn rate_series(
    experiment: &Experiment,
    per_variant: &[Vec<Counters>],
    rate: fn(&Counters) -> Proportion,
) -> Vec<Series> {
    experiment
        .variants
        .iter()
        .zip(per_variant)
        .map(|(variant, days)| Series {
            name: variant.name.clone(),
            points: days
                .iter()
                .map(|c| {
                    let p = rate(c);
                    (p.trials > 0).then(|| (p.rate(), p.wilson(1.0 - ALPHA)))
                })
                .collect(),
        })
        .collect()
}

/// The primary metric's relative lift of each treatment over the control, on the data up
/// to and including each day.
fn cumulative_lift(
    experiment: &Experiment,
    cells: &[(CellKey, Counters)],
    days: &[NaiveDate],
) -> Vec<Series> {
    let mut series: Vec<Series> = experiment.variants[1..]
        .iter()
        .map(|v| Series {
            name: format!("{} vs {}", v.name, experiment.variants[0].name),
            points: Vec::new(),
        })
        .collect();
    for day in days {
        let so_far = cells
            .iter()
            .filter(|(k, _)| k.day <= *day)
            .map(|(k, c)| (k, c));
        let daily = report(experiment, so_far);
        for (line, variant) in series.iter_mut().zip(&experiment.variants[1..]) {
            let point = daily
                .primary
                .iter()
                .find(|c| c.variant == variant.name)
                .map(|c| &c.comparison)
                .filter(|c| c.control > 0.0)
                .map(|c| {
                    let relative = |x: f64| 100.0 * x / c.control;
                    let interval = Interval {
                        low: relative(c.interval.low),
                        high: relative(c.interval.high),
                    };
                    (relative(c.difference), interval)
                });
            line.points.push(point);
        }
    }
    series
}

/// A line chart of `series` over `days` with an error bar per point, as an SVG string.
fn chart(
    title: &str,
    y_label: &str,
    days: &[NaiveDate],
    series: &[Series],
) -> Result<String, Error> {
    let values = series.iter().flat_map(|s| s.points.iter().flatten());
    let (mut low, mut high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), (_, i)| {
        (lo.min(i.low), hi.max(i.high))
    });
    if low > high {
        (low, high) = (0.0, 1.0);
    }
    let pad = ((high - low) * 0.08).max(1e-6);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let last_day = days.len().saturating_sub(1).max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.3..last_day + 0.3, (low - pad)..(high + pad))?;
        let label_of = |x: &f64| {
            let nearest = x.round();
            let on_day = (x - nearest).abs() < 0.01 && nearest >= 0.0;
            days.get(nearest as usize)
                .filter(|_| on_day)
                .map(|d| d.format("%b %d").to_string())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(days.len().clamp(2, 12))
            .x_label_formatter(&label_of)
            .y_desc(y_label)
            .draw()?;
        for (i, line) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            // Arms side by side around the day, so their intervals do not hide each other.
            let shift = (i as f64 - (series.len() as f64 - 1.0) / 2.0) * 0.08;
            let points: Vec<(f64, f64, Interval)> = line
                .points
                .iter()
                .enumerate()
                .filter_map(|(day, p)| p.map(|(v, i)| (day as f64 + shift, v, i)))
                .collect();
            chart.draw_series(points.iter().map(|(x, _, i)| {
                PathElement::new(
                    vec![(*x, i.low), (*x, i.high)],
                    color.mix(0.5).stroke_width(2),
                )
            }))?;
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|(x, v, _)| (*x, *v)),
                    color.stroke_width(2),
                ))?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

#[derive(Serialize)]
struct VariantRow {
    name: String,
    exposures: u64,
    ctr: String,
    conversion: String,
    revenue_per_exposure: String,
    average_order_value: String,
    return_rate: String,
}

#[derive(Serialize)]
struct ComparisonRow {
    kind: &'static str,
    metric: String,
    variant: String,
    lift: String,
    interval: String,
    p_value: String,
    significant: bool,
}

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Experiment {{ id }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 880px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; } .alarm { color: #b00; font-weight: bold; } .yes { color: #070; font-weight: bold; }
figure { margin: 1.5rem 0; }
</style></head><body>
<h1>Experiment {{ id }}</h1>
<p>Placement <b>{{ placement }}</b>, primary metric <b>{{ primary }}</b>, {{ start }} to {{ stop }}.</p>
<h2>Variants</h2>
<table><tr><th>variant</th><th>lists shown</th><th>CTR [95%]</th><th>conversion [95%]</th><th>revenue / list</th><th>AOV</th><th>return rate</th></tr>
{% for v in variants %}<tr><td>{{ v.name }}</td><td>{{ v.exposures }}</td><td>{{ v.ctr }}</td><td>{{ v.conversion }}</td><td>{{ v.revenue_per_exposure }}</td><td>{{ v.average_order_value }}</td><td>{{ v.return_rate }}</td></tr>
{% endfor %}</table>
<h2>Against the control</h2>
<table><tr><th>metric</th><th>variant</th><th>relative lift</th><th>95% interval of the lift</th><th>p-value</th><th>significant at 5%</th></tr>
{% for c in comparisons %}<tr><td>{{ c.metric }} ({{ c.kind }})</td><td>{{ c.variant }}</td><td>{{ c.lift }}</td><td>{{ c.interval }}</td><td>{{ c.p_value }}</td><td>{% if c.significant %}<span class="yes">yes</span>{% else %}no{% endif %}</td></tr>
{% endfor %}</table>
<p>{{ sample_ratio }}</p>
<p>{{ mde }}</p>
{% for svg in charts %}<figure>{{ svg | safe }}</figure>
{% endfor %}
</body></html>
"#;

fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn money(cents: f64) -> String {
    format!("{:.2}", cents / 100.0)
}

/// Writes the experiment's HTML report to `path`.
pub fn write(
    experiment: &Experiment,
    cells: &[(CellKey, Counters)],
    summary: &ExperimentReport,
    path: &Path,
) -> Result<(), Error> {
    let (days, per_variant) = daily(experiment, cells);
    let ctr = rate_series(experiment, &per_variant, |c| Proportion {
        successes: c.clicks,
        trials: c.exposures,
    });
    let conversion = rate_series(experiment, &per_variant, |c| Proportion {
        successes: c.purchases,
        trials: c.exposures,
    });
    let as_percent = |mut series: Vec<Series>| {
        for line in &mut series {
            for (value, interval) in line.points.iter_mut().flatten() {
                *value *= 100.0;
                interval.low *= 100.0;
                interval.high *= 100.0;
            }
        }
        series
    };
    let primary = format!("{:?}", summary.primary_metric);
    let charts = vec![
        chart(
            "CTR per day, 95% intervals",
            "CTR (%)",
            &days,
            &as_percent(ctr),
        )?,
        chart(
            "Conversion per day, 95% intervals",
            "purchases per list (%)",
            &days,
            &as_percent(conversion),
        )?,
        chart(
            &format!("Cumulative lift of {primary} over the control, 95% interval"),
            "relative lift (%)",
            &days,
            &cumulative_lift(experiment, cells, &days),
        )?,
    ];
    let variants: Vec<VariantRow> = summary
        .variants
        .iter()
        .map(|v| VariantRow {
            name: v.name.clone(),
            exposures: v.counters.exposures,
            ctr: format!(
                "{} [{}, {}]",
                percent(v.ctr),
                percent(v.ctr_interval.low),
                percent(v.ctr_interval.high)
            ),
            conversion: format!(
                "{} [{}, {}]",
                percent(v.conversion_rate),
                percent(v.conversion_interval.low),
                percent(v.conversion_interval.high)
            ),
            revenue_per_exposure: money(v.revenue_per_exposure),
            average_order_value: money(v.average_order_value),
            return_rate: percent(v.return_rate),
        })
        .collect();
    let rows = |kind: &'static str, list: &[framewise::experiments::report::MetricComparison]| {
        list.iter()
            .map(|c| {
                let base = c.comparison.control;
                let relative = |x: f64| {
                    if base > 0.0 {
                        format!("{:+.1}%", 100.0 * x / base)
                    } else {
                        "n/a".into()
                    }
                };
                ComparisonRow {
                    kind,
                    metric: format!("{:?}", c.metric),
                    variant: c.variant.clone(),
                    lift: relative(c.comparison.difference),
                    interval: format!(
                        "[{}, {}]",
                        relative(c.comparison.interval.low),
                        relative(c.comparison.interval.high)
                    ),
                    p_value: format!("{:.4}", c.comparison.p_value),
                    significant: c.comparison.significant,
                }
            })
            .collect::<Vec<_>>()
    };
    let mut comparisons = rows("primary", &summary.primary);
    comparisons.extend(rows("guardrail", &summary.guardrails));
    let sample_ratio = match &summary.sample_ratio {
        Some(s) if s.mismatch => format!(
            "Sample-ratio mismatch: the arms' list counts are off their shares (chi-square {:.1}, p {:.1e}); do not trust this report until assignment is fixed.",
            s.chi_square, s.p_value
        ),
        Some(s) => format!("Sample ratio as designed (chi-square {:.2}, p {:.3}).", s.chi_square, s.p_value),
        None => "Not enough lists yet for the sample-ratio check.".into(),
    };
    let mde = summary.minimum_detectable_effect.map_or_else(
        || "No minimum detectable effect yet (no traffic).".to_string(),
        |m| format!("With the traffic so far, a change of {} (absolute) in {primary} would be detected with 80% power.", percent(m)),
    );
    let mut env = minijinja::Environment::new();
    env.add_template("report", TEMPLATE)?;
    let html = env.get_template("report")?.render(minijinja::context! {
        id => experiment.id,
        placement => experiment.placement.clone().unwrap_or_else(|| "every placement".into()),
        primary => primary,
        start => experiment.start.format("%Y-%m-%d %H:%M UTC").to_string(),
        stop => experiment.stop.map_or("now (running)".to_string(), |s| s.format("%Y-%m-%d %H:%M UTC").to_string()),
        variants => variants,
        comparisons => comparisons,
        sample_ratio => sample_ratio,
        mde => mde,
        charts => charts,
    })?;
    std::fs::write(path, html).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use framewise::experiments::{ExperimentVariant, Metric};

    use super::*;

    #[test]
    fn when_report_is_written_should_hold_three_charts_and_each_variant() {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        let arm = |name: &str| ExperimentVariant {
            name: name.into(),
            share: 0.5,
            settings: toml::Table::new(),
        };
        let experiment = Experiment {
            id: "exp-html".into(),
            placement: Some("home".into()),
            variants: vec![arm("control"), arm("treatment")],
            primary_metric: Metric::Ctr,
            guardrails: vec![Metric::ConversionRate],
            start,
            stop: None,
            traffic: 1.0,
            salt: None,
        };
        let cells: Vec<(CellKey, Counters)> = (0..5)
            .flat_map(|day| {
                ["control", "treatment"].map(|variant| {
                    let clicks = if variant == "control" { 20 } else { 30 };
                    let key = CellKey {
                        placement: "home".into(),
                        variant: Some(variant.into()),
                        model_version: "v1".into(),
                        day: (start + Duration::days(day)).date_naive(),
                    };
                    let counters = Counters {
                        exposures: 100,
                        clicks,
                        purchases: clicks / 5,
                        ..Counters::default()
                    };
                    (key, counters)
                })
            })
            .collect();
        let summary = report(&experiment, cells.iter().map(|(k, c)| (k, c)));
        let dir = std::env::temp_dir().join(format!("fw-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.html");
        write(&experiment, &cells, &summary, &path).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(html.matches("<svg").count(), 3, "three charts");
        assert!(html.contains("Cumulative lift of Ctr"));
        assert!(html.contains("<td>treatment</td>") && html.contains("<td>control</td>"));
        assert!(html.contains("+50.0%"), "treatment's CTR lift over control");
        assert!(html.contains("Nov 20"), "days label the x axis");
    }
}
