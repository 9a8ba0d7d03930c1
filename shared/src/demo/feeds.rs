//! The demo shop's social feeds: a small trend feed and two influencer collections over the
//! generated catalogue, written where the local feed source reads them
//! (`<data-dir>/feeds/trends/`, `<data-dir>/feeds/collections/`), so `framewise serve
//! --demo` shows "Trending now" and "Inspired by NAME" picks.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::json;

use super::DemoData;
use crate::domain::{InfluencerCollection, Material, Shape, Style};
use crate::import::ImportError;

/// Styles per demo collection.
const COLLECTION_SIZE: usize = 8;

/// The demo trend feed (JSON, in the trend feed format) published at `now`: cat-eye
/// shapes, tortoise colourways, titanium, and the newest available style.
pub fn trend_feed(data: &DemoData, now: DateTime<Utc>) -> serde_json::Value {
    let mut entries = vec![
        json!({"kind": "shape", "value": "cat_eye", "weight": 0.9}),
        json!({"kind": "colour", "value": "tortoise", "weight": 0.5}),
        json!({"kind": "material", "value": "titanium", "weight": 0.4}),
    ];
    let newest = data
        .styles
        .iter()
        .filter(|s| s.is_available())
        .max_by(|a, b| a.launch_date.cmp(&b.launch_date).then(b.id.cmp(&a.id)));
    if let Some(style) = newest {
        entries.push(json!({"kind": "style", "value": style.id, "weight": 0.8}));
    }
    json!({"published_at": now, "entries": entries})
}

/// Two collections: Mara Lind's soft rounds and ovals, Theo Okafor's titanium frames.
pub fn collections(data: &DemoData, now: DateTime<Utc>) -> Vec<InfluencerCollection> {
    let pick = |keep: &dyn Fn(&Style) -> bool| -> Vec<String> {
        data.styles
            .iter()
            .filter(|s| s.is_available() && keep(s))
            .take(COLLECTION_SIZE)
            .map(|s| s.id.clone())
            .collect()
    };
    let rounds = pick(&|s| matches!(s.shape, Shape::Round | Shape::Oval));
    let titanium = pick(&|s| s.material == Material::Titanium);
    [
        (
            "mara-soft-rounds",
            "Mara Lind",
            "Soft rounds for every day",
            rounds,
        ),
        (
            "theo-quiet-titanium",
            "Theo Okafor",
            "Quiet titanium",
            titanium,
        ),
    ]
    .into_iter()
    .filter(|(_, _, _, styles)| !styles.is_empty())
    .map(|(id, curator, title, style_ids)| InfluencerCollection {
        id: id.to_string(),
        curator: curator.to_string(),
        title: title.to_string(),
        style_ids,
        published_at: now,
    })
    .collect()
}

/// Writes the demo feeds under `feeds_dir` (`trends/demo.json`, `collections/<id>.json`),
/// leaving any file that is already there alone; returns the files written.
pub fn write_feeds(
    data: &DemoData,
    feeds_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = vec![(
        feeds_dir.join("trends").join("demo.json"),
        trend_feed(data, now),
    )];
    for collection in collections(data, now) {
        let path = feeds_dir
            .join("collections")
            .join(format!("{}.json", collection.id));
        files.push((path, json!(collection)));
    }
    let mut written = Vec::new();
    for (path, value) in files {
        if path.exists() {
            continue;
        }
        let io = |source| ImportError::Io {
            path: path.clone(),
            source,
        };
        let text = serde_json::to_string_pretty(&value).map_err(|e| io(e.into()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(&path, text).map_err(io)?;
        written.push(path);
    }
    Ok(written)
}
