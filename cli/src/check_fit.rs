//! `framewise check-fit`: generates shoppers with prescriptions (domain brief section 1),
//! computes their lists through the service over in-memory stores, and counts every
//! recommended frame that breaks a hard optics rule (F1-F11). It must report zero. It also
//! measures how often the top item suits the shopper's face shape and colouring, with and
//! without the face/colour (profile) scores.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use framewise::adapters::memory_stores;
use framewise::demo::{self, DemoConfig};
use framewise::domain::{Customer, StoredList};
use framewise::optics::frame::{evaluate, FrameRulesConfig, RuleId};
use framewise::optics::style::{customer_colour_harmony, face_shape_of, frame_shape_fit};
use framewise::ports::Stores;
use framewise::service::{Framewise, ServiceConfig};

/// Arguments of `framewise check-fit`.
#[derive(clap::Args, Clone, Debug)]
pub struct CheckFitArgs {
    /// Number of shoppers with a prescription to check.
    #[arg(long, default_value_t = 10_000)]
    pub customers: usize,
    /// Number of frame styles in the generated catalogue.
    #[arg(long, default_value_t = 1000)]
    pub styles: usize,
    /// Days of generated browsing history.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Default)]
struct Tally {
    lists: usize,
    items: usize,
    violations: BTreeMap<RuleId, usize>,
    items_without_size: usize,
    judged_top: usize,
    top_fits_face: usize,
    top_fits_colour: usize,
    top_fits_both: usize,
}

pub async fn run(
    args: CheckFitArgs,
    config: ServiceConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    // About 60% of generated shoppers have a prescription; generate enough for N of them.
    let data = demo::generate(&DemoConfig {
        styles: args.styles,
        customers: args.customers * 2 + 50,
        days: args.days,
        seed: args.seed,
        end: Utc::now(),
    });
    let customers: Vec<Customer> = data
        .customers
        .iter()
        .filter(|c| c.prescription.is_some())
        .take(args.customers)
        .cloned()
        .collect();
    let ids: std::collections::HashSet<&str> = customers.iter().map(|c| c.id.as_str()).collect();
    let interactions: Vec<_> = data
        .interactions
        .iter()
        .filter(|i| ids.contains(i.customer_id.as_str()))
        .cloned()
        .collect();
    let signals = framewise::import::interactions_to_signals(&interactions);
    eprintln!(
        "generated {} styles, {} shoppers with prescriptions, {} signals in {:.1} s",
        data.styles.len(),
        customers.len(),
        signals.len(),
        started.elapsed().as_secs_f64()
    );
    let stores = memory_stores();
    stores.catalog.put_styles(&data.styles).await?;
    stores.profiles.put_customers(&customers).await?;
    for chunk in signals.chunks(5_000) {
        stores.signals.apply(chunk).await?;
    }

    // The configured rules and weights (`--config`), and the same without face/colour scores;
    // violations are counted against the configured rules too.
    let rules = config.optics.clone();
    let mut without_cfg = config.clone();
    let with = lists_for(&stores, &customers, config).await?;
    without_cfg.engine.weights.profile = 0.0;
    let without = lists_for(&stores, &customers, without_cfg).await?;

    let styles: BTreeMap<&str, &framewise::domain::Style> =
        data.styles.iter().map(|s| (s.id.as_str(), s)).collect();
    let tally_with = tally(&customers, &with, &styles, &rules);
    let tally_without = tally(&customers, &without, &styles, &rules);

    println!(
        "check-fit: {} shoppers with prescriptions, {} styles, seed {} ({:.1} s)",
        customers.len(),
        data.styles.len(),
        args.seed,
        started.elapsed().as_secs_f64()
    );
    println!(
        "lists: {}, items checked: {}",
        tally_with.lists, tally_with.items
    );
    println!("{:<6} {:>12}", "rule", "violations");
    let mut total = 0;
    for rule in RuleId::ALL {
        let n = tally_with.violations.get(&rule).copied().unwrap_or(0)
            + tally_without.violations.get(&rule).copied().unwrap_or(0);
        total += n;
        println!("{:<6} {:>12}", format!("{rule:?}"), n);
    }
    let unsized_items = tally_with.items_without_size + tally_without.items_without_size;
    println!("{:<6} {:>12}", "size?", unsized_items);
    println!("total hard-rule violations: {}", total + unsized_items);
    let share = |n: usize, d: usize| {
        if d == 0 {
            0.0
        } else {
            100.0 * n as f64 / d as f64
        }
    };
    println!(
        "top item suits face shape and colouring ({} shoppers with both known):",
        tally_with.judged_top
    );
    for (name, t) in [
        ("with face/colour scores", &tally_with),
        ("without", &tally_without),
    ] {
        println!(
            "  {name:<24} face {:5.1}%  colour {:5.1}%  both {:5.1}%",
            share(t.top_fits_face, t.judged_top),
            share(t.top_fits_colour, t.judged_top),
            share(t.top_fits_both, t.judged_top)
        );
    }
    if total + unsized_items > 0 {
        return Err(format!("{} hard-rule violations", total + unsized_items).into());
    }
    Ok(())
}

/// Regenerates every list through the service (the precomputed path) and reads them back.
async fn lists_for(
    stores: &Stores,
    customers: &[Customer],
    config: ServiceConfig,
) -> Result<Vec<Option<StoredList>>, Box<dyn std::error::Error>> {
    let service = Arc::new(Framewise::open(stores.clone(), config).await?);
    service.regenerate(Utc::now(), &|_, _| {}).await?;
    let mut lists = Vec::with_capacity(customers.len());
    for c in customers {
        lists.push(stores.lists.get_list(&c.id).await?);
    }
    Ok(lists)
}

fn tally(
    customers: &[Customer],
    lists: &[Option<StoredList>],
    styles: &BTreeMap<&str, &framewise::domain::Style>,
    config: &FrameRulesConfig,
) -> Tally {
    let mut t = Tally::default();
    for (customer, list) in customers.iter().zip(lists) {
        let (Some(list), Some(rx)) = (list, &customer.prescription) else {
            continue;
        };
        t.lists += 1;
        for item in &list.items {
            t.items += 1;
            let Some(style) = styles.get(item.style_id.as_str()) else {
                t.items_without_size += 1;
                continue;
            };
            let size = item
                .sku
                .as_deref()
                .and_then(|sku| style.variant(sku))
                .and_then(|(_, v)| style.size(&v.size));
            let Some(size) = size else {
                t.items_without_size += 1;
                continue;
            };
            let check = evaluate(rx, style, size, None, config);
            for rule in check.blocked_by() {
                *t.violations.entry(rule).or_insert(0) += 1;
            }
        }
        let face = face_shape_of(customer);
        let colouring = customer.undertone.is_some() || customer.colour_season.is_some();
        let (Some(face), true, Some(top)) = (face, colouring, list.items.first()) else {
            continue;
        };
        let Some(style) = styles.get(top.style_id.as_str()) else {
            continue;
        };
        t.judged_top += 1;
        let face_ok = frame_shape_fit(face, style.shape, style.rim).0 > 0.0;
        let colour = top
            .sku
            .as_deref()
            .and_then(|sku| style.variant(sku))
            .map(|(c, _)| &c.colour);
        let colour_ok = colour.is_some_and(|c| customer_colour_harmony(customer, c).0 > 0.0);
        t.top_fits_face += usize::from(face_ok);
        t.top_fits_colour += usize::from(colour_ok);
        t.top_fits_both += usize::from(face_ok && colour_ok);
    }
    t
}
