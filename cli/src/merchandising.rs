//! `framewise merchandising check FILE`: validates a merchandising rules file as the service
//! would load it (docs/merchandising.md) and prints every problem, naming rule and field,
//! before the file is published (copied to the data directory or uploaded to the bucket).

use std::path::PathBuf;

use framewise::engine::{CapGroup, MerchandisingRules};

#[derive(clap::Args)]
pub struct MerchandisingArgs {
    #[command(subcommand)]
    command: MerchandisingCommand,
}

#[derive(clap::Subcommand)]
enum MerchandisingCommand {
    /// Parse and validate a rules file; exits with an error listing every problem.
    Check {
        /// The rules file (TOML: [[pin]], [[boost]], [[bury]], [[exclude]], [[cap]]).
        file: PathBuf,
    },
}

pub fn run(args: MerchandisingArgs) -> Result<(), Box<dyn std::error::Error>> {
    match args.command {
        MerchandisingCommand::Check { file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            match framewise::service::check_merchandising(&text) {
                Ok(rules) => {
                    println!("{}: valid, {}", file.display(), summary(&rules));
                    Ok(())
                }
                Err(error) => {
                    for problem in &error.0 {
                        eprintln!("{}: {problem}", file.display());
                    }
                    Err(format!("{}: {} problem(s)", file.display(), error.0.len()).into())
                }
            }
        }
    }
}

/// "2 pins, 1 boost, 0 buries, 1 exclusion, 1 cap (per brand)".
fn summary(rules: &MerchandisingRules) -> String {
    let boosts = rules
        .score_rules
        .iter()
        .filter(|r| r.kind == framewise::engine::RuleKind::Boost)
        .count();
    let per_brand = rules
        .caps
        .iter()
        .filter(|c| c.group == CapGroup::EachBrand)
        .count();
    format!(
        "{} pin(s), {boosts} boost(s), {} bury(ies), {} exclusion(s), {} cap(s) ({per_brand} per brand)",
        rules.pins.len(),
        rules.score_rules.len() - boosts,
        rules.exclusions.len(),
        rules.caps.len()
    )
}
