//! `framewise eval`: the offline evaluation harness of `docs/evaluation.md` — split, train,
//! score, and print (or write as JSON) a metrics table per model.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use framewise::models::data::{Dataset, Format};
use framewise::models::eval::{evaluate, primary, tune, ModelKind, Params, Report};
use framewise::models::{Protocol, Split};
use serde_json::json;

/// Arguments of `framewise eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Interaction file (ml-100k `u.data` or a CSV/TSV export); never copied anywhere.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, value_enum, default_value_t = DataFormat::Ml100k)]
    format: DataFormat,
    /// CSV field separator: a single character, or `tab`.
    #[arg(long, default_value = ",")]
    sep: String,
    /// Protocol A (loo) or B (temporal).
    #[arg(long, value_enum, default_value_t = SplitKind::Temporal)]
    split: SplitKind,
    /// Comma-separated models: pop, itemknn, ials, ease, hybrid, embeddings (the served
    /// scorer: iALS by fold-in, blended with popularity).
    #[arg(long, default_value = "pop,itemknn,ials,ease,hybrid")]
    models: String,
    /// Choose hyperparameters on a validation split carved from the training data.
    #[arg(long)]
    tune: bool,
    /// Decay training weights with this half-life in days (for shop exports).
    #[arg(long)]
    half_life_days: Option<f64>,
    /// Also write the results as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also draw the primary metric per model as an SVG bar chart.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DataFormat {
    Ml100k,
    Csv,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SplitKind {
    Loo,
    Temporal,
}

type EvalResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Runs the evaluation and prints the tables.
pub fn run(args: EvalArgs) -> EvalResult<()> {
    let format = match args.format {
        DataFormat::Ml100k => Format::Ml100k,
        DataFormat::Csv => Format::Csv {
            sep: parse_sep(&args.sep)?,
        },
    };
    let protocol = match args.split {
        SplitKind::Loo => Protocol::LeaveLastOut,
        SplitKind::Temporal => Protocol::Temporal,
    };
    let kinds = args
        .models
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse::<ModelKind>)
        .collect::<Result<Vec<_>, _>>()?;
    let data = Dataset::read(&args.data, format)?;
    let split = Split::of(&data, protocol);
    let md5 = split.test_md5(&data.user_ids, &data.item_ids);
    let half_life = args.half_life_days.map(|d| d * 86_400.0);
    println!(
        "data: {} users, {} items, {} interactions; split {:?}: {} test users, {} test / {} training interactions",
        data.n_users(),
        data.n_items(),
        data.interactions.len(),
        args.split,
        split.test_users().len(),
        split.n_test(),
        split.train.len()
    );
    println!("split md5: {md5}");
    let mut reports = Vec::new();
    let mut tuning = Vec::new();
    for kind in kinds {
        let params = if args.tune {
            let (params, trials) = tune(kind, &split, protocol, half_life)?;
            let best = trials.iter().map(|t| t.1).fold(f64::MIN, f64::max);
            eprintln!(
                "tuned {} on validation ({} trials, best {:.4}): {}",
                kind.name(),
                trials.len(),
                best,
                params.describe()
            );
            tuning.push(json!({
                "model": kind.name(),
                "chosen": params.describe(),
                "trials": trials.iter().map(|(p, v)| json!({"params": p, "validation": v})).collect::<Vec<_>>(),
            }));
            params
        } else {
            Params::default_for(kind)
        };
        let report = evaluate(kind, params, &split, half_life)?;
        eprintln!(
            "{}: {:.4} in {:.2} s train",
            kind.name(),
            primary(&report.summary, protocol),
            report.train_secs
        );
        reports.push(report);
    }
    println!();
    print!("{}", table(&reports));
    if let Some(path) = &args.json {
        let body = json!({
            "data": args.data.display().to_string(),
            "split": format!("{:?}", args.split).to_lowercase(),
            "md5": md5,
            "test_users": split.test_users().len(),
            "test_interactions": split.n_test(),
            "train_interactions": split.train.len(),
            "models": reports.iter().map(|r| json!({
                "model": r.kind.name(),
                "params": r.params.describe(),
                "metrics": r.summary,
                "train_secs": r.train_secs,
                "score_secs": r.score_secs,
            })).collect::<Vec<_>>(),
            "tuning": tuning,
        });
        std::fs::write(path, serde_json::to_string_pretty(&body)?)?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.plot {
        std::fs::write(path, svg_chart(&reports, protocol))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn parse_sep(sep: &str) -> EvalResult<u8> {
    match sep {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        other => Err(format!("--sep must be one character or `tab`, got {other:?}").into()),
    }
}

fn table(reports: &[Report]) -> String {
    let mut out = String::from(
        "| model | params | Recall@20 | NDCG@20 | HR@10 | NDCG@10 | cov@10 | cov@20 | train s | score s |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let s = &r.summary;
        let e = |x: &framewise::models::metrics::Estimate| format!("{:.4} ± {:.4}", x.mean, x.se);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.2} | {:.3} |\n",
            r.kind.name(),
            r.params.describe(),
            e(&s.recall20),
            e(&s.ndcg20),
            e(&s.hr10),
            e(&s.ndcg10),
            s.coverage10,
            s.coverage20,
            r.train_secs,
            r.score_secs
        ));
    }
    out
}

/// A minimal hand-written SVG: one horizontal bar per model for the protocol's metric.
fn svg_chart(reports: &[Report], protocol: Protocol) -> String {
    let metric = match protocol {
        Protocol::Temporal => "NDCG@20",
        Protocol::LeaveLastOut => "NDCG@10",
    };
    let max = reports
        .iter()
        .map(|r| primary(&r.summary, protocol))
        .fold(1e-9, f64::max);
    let (row, left, width) = (28.0, 190.0, 360.0);
    let height = 40.0 + row * reports.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <text x=\"10\" y=\"20\" font-weight=\"bold\">{metric} by model</text>\n"
    );
    for (k, r) in reports.iter().enumerate() {
        let v = primary(&r.summary, protocol);
        let y = 30.0 + row * k as f64;
        let w = width * v / max;
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{:.0}\">{}</text><rect x=\"{left}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"18\" fill=\"#4a78b5\"/><text x=\"{:.1}\" y=\"{:.0}\">{v:.4}</text>\n",
            y + 13.0,
            r.kind.name(),
            left + w + 6.0,
            y + 13.0
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
