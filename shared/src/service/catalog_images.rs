//! Product images of a catalogue feed (`images/<colourway>.jpg` or `.png` beside it, in a
//! local folder or the feed's bucket): each colourway's picture is analysed by
//! [`crate::imaging`], the extracted colour family, outline class and lens proportions are
//! checked against what the feed declares (a mismatch report), and each style's visual
//! embedding is kept with the catalogue for `GET /v1/products/{id}/similar?by=look`.
//!
//! The feed's shape and colour family are required fields of a style: extraction checks
//! them. A colourway's swatch (`colour.hex`) is optional: when the feed leaves it out, the
//! picture's dominant colour fills it in the stored catalogue and the report lists it
//! (`catalog_images_fill.rs`); a declared swatch is never overwritten, only checked. A
//! picture that does not decode is reported for its colourway and the other styles go on.
//!
//! The embeddings are one artifact (`catalog-looks/looks.json` in the model artifact
//! store: the model directory locally, the models bucket on AWS), merged on every
//! import, read by every server at most every [`LOOKS_REFRESH`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::catalog_images_fill::{fills, with_filled, FilledAttribute};
use super::lists::hydrate;
use super::{not_found, Framewise};
use crate::domain::{validate_id, RecommendedItem, Style};
use crate::engine::LookIndex;
use crate::error::{ServiceError, StoreError, ValidationErrors};
use crate::imaging::{self, ImageFeatures, ShapeClass, EMBEDDING_LEN};

/// Image bytes by colourway code.
pub type ColourwayImages = HashMap<String, Vec<u8>>;

/// Where the visual embeddings are kept in the artifact store (a version of their own:
/// they outlive model versions).
pub const LOOKS_VERSION: &str = "catalog-looks";
pub const LOOKS_ARTIFACT: &str = "looks.json";
/// How long a server serves the embeddings it read before reading them again.
pub const LOOKS_REFRESH: Duration = Duration::from_secs(300);
/// Relative difference between declared (A / B) and pictured lens proportions beyond
/// which they are reported; the rim drawn around the lens alone moves them ~5%.
const PROPORTION_TOLERANCE: f32 = 0.2;

/// One colour a picture shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedColour {
    pub hex: String,
    /// Share of the frame's pixels, 0-1.
    pub share: f32,
}

/// What one colourway's picture shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedAttributes {
    pub style_id: String,
    pub colourway: String,
    pub colour_family: crate::domain::ColourFamily,
    pub colours: Vec<ExtractedColour>,
    pub shape: ShapeClass,
    /// Width over height of the pictured frame (temples included).
    pub frame_width_to_height: f32,
    /// Width over height of one pictured lens with its rim.
    pub lens_width_to_height: f32,
}

/// A declared attribute the picture contradicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeMismatch {
    pub style_id: String,
    pub colourway: String,
    /// The feed's field, as validation names it (`shape`, `colourways[0].colour.family`).
    pub field: String,
    pub declared: String,
    pub extracted: String,
}

/// A picture that gave no features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageFailure {
    pub style_id: String,
    pub colourway: String,
    pub error: String,
}

/// What the pictures of one feed showed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CatalogImageReport {
    pub extracted: Vec<ExtractedAttributes>,
    pub mismatches: Vec<AttributeMismatch>,
    /// Fields the feed left out, filled from the pictures (declared ones never are).
    pub filled: Vec<FilledAttribute>,
    pub failed: Vec<ImageFailure>,
    /// `style_id/colourway` of colourways without a picture.
    pub without_image: Vec<String>,
    /// Styles whose visual embedding was stored.
    pub looks_stored: usize,
}

/// The stored embeddings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct StoredLooks {
    embedding_len: usize,
    styles: BTreeMap<String, Vec<f32>>,
}

/// Analyses every colourway's picture of `styles`: the report and each style's visual
/// embedding (the mean over its analysed colourways). Pure; CPU-bound (parallel).
pub fn analyse_feed_images(
    styles: &[Style],
    images: &ColourwayImages,
) -> (CatalogImageReport, BTreeMap<String, Vec<f32>>) {
    let jobs: Vec<(usize, usize, &[u8])> = styles
        .iter()
        .enumerate()
        .flat_map(|(s, style)| {
            style
                .colourways
                .iter()
                .enumerate()
                .filter_map(move |(c, colourway)| {
                    images
                        .get(&colourway.code)
                        .map(|bytes| (s, c, bytes.as_slice()))
                })
        })
        .collect();
    let results: Vec<(usize, usize, Result<ImageFeatures, imaging::ImageError>)> = jobs
        .into_par_iter()
        .map(|(s, c, bytes)| {
            (
                s,
                c,
                imaging::decode(bytes).and_then(|i| imaging::analyse(&i)),
            )
        })
        .collect();
    let mut report = CatalogImageReport::default();
    let mut sums: BTreeMap<String, (Vec<f32>, usize)> = BTreeMap::new();
    for (s, c, result) in results {
        let (style, colourway) = (&styles[s], &styles[s].colourways[c]);
        match result {
            Ok(features) => {
                report.mismatches.extend(mismatches(style, c, &features));
                let (filled, swatch_mismatches) = fills(style, c, &features);
                report.filled.extend(filled);
                report.mismatches.extend(swatch_mismatches);
                let (sum, n) = sums
                    .entry(style.id.clone())
                    .or_insert_with(|| (vec![0.0; EMBEDDING_LEN], 0));
                sum.iter_mut()
                    .zip(&features.embedding)
                    .for_each(|(a, b)| *a += b);
                *n += 1;
                report
                    .extracted
                    .push(attributes(style, &colourway.code, &features));
            }
            Err(error) => report.failed.push(ImageFailure {
                style_id: style.id.clone(),
                colourway: colourway.code.clone(),
                error: error.to_string(),
            }),
        }
    }
    report.without_image = styles
        .iter()
        .flat_map(|style| {
            style
                .colourways
                .iter()
                .filter(|c| !images.contains_key(&c.code))
                .map(move |c| format!("{}/{}", style.id, c.code))
        })
        .collect();
    let looks = sums
        .into_iter()
        .map(|(id, (sum, n))| (id, sum.into_iter().map(|v| v / n as f32).collect()))
        .collect();
    (report, looks)
}

fn attributes(style: &Style, colourway: &str, f: &ImageFeatures) -> ExtractedAttributes {
    ExtractedAttributes {
        style_id: style.id.clone(),
        colourway: colourway.to_string(),
        colour_family: f.family,
        colours: f
            .colours
            .iter()
            .map(|c| ExtractedColour {
                hex: c.hex(),
                share: (c.share * 1000.0).round() / 1000.0,
            })
            .collect(),
        shape: f.shape,
        frame_width_to_height: (f.frame_width_to_height * 100.0).round() / 100.0,
        lens_width_to_height: (f.lens_width_to_height * 100.0).round() / 100.0,
    }
}

/// A value as the feed spells it (`cat_eye`).
fn spelled<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The declared attributes of colourway `c` of `style` that its picture contradicts.
fn mismatches(style: &Style, c: usize, f: &ImageFeatures) -> Vec<AttributeMismatch> {
    let colourway = &style.colourways[c];
    let mismatch = |field: String, declared: String, extracted: String| AttributeMismatch {
        style_id: style.id.clone(),
        colourway: colourway.code.clone(),
        field,
        declared,
        extracted,
    };
    let mut found = Vec::new();
    if ShapeClass::of(style.shape).is_some_and(|expected| expected != f.shape) {
        found.push(mismatch(
            "shape".to_string(),
            spelled(&style.shape),
            spelled(&f.shape),
        ));
    }
    if colourway.colour.family != f.family {
        found.push(mismatch(
            format!("colourways[{c}].colour.family"),
            spelled(&colourway.colour.family),
            spelled(&f.family),
        ));
    }
    // The size the picture is of: the colourway's first variant's, else the style's first.
    let size = colourway
        .variants
        .first()
        .and_then(|v| style.sizes.iter().position(|s| s.label == v.size))
        .or((!style.sizes.is_empty()).then_some(0));
    if let Some(k) = size {
        let declared = style.sizes[k].lens_width / style.sizes[k].lens_height;
        let pictured = f.lens_width_to_height;
        if declared.is_finite()
            && pictured > 0.0
            && (pictured - declared).abs() / declared > PROPORTION_TOLERANCE
        {
            found.push(mismatch(
                format!("sizes[{k}].lens_width/lens_height"),
                format!("{declared:.2}"),
                format!("{pictured:.2}"),
            ));
        }
    }
    found
}

/// The embeddings as last read, with when.
#[derive(Default)]
pub(super) struct LookCache {
    read: RwLock<Option<(Instant, Arc<LookIndex>)>>,
}

impl LookCache {
    fn fresh(&self) -> Option<Arc<LookIndex>> {
        let guard = self.read.read().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < LOOKS_REFRESH)
            .map(|(_, looks)| looks.clone())
    }

    fn set(&self, looks: Arc<LookIndex>) {
        let mut guard = self.read.write().unwrap_or_else(|p| p.into_inner());
        *guard = Some((Instant::now(), looks));
    }
}

impl Framewise {
    /// Analyses the pictures of a feed's colourways (`images` by colourway code), stores
    /// the styles' visual embeddings, fills the fields the feed left out in the stored
    /// catalogue and returns what the pictures showed, with every field filled and every
    /// declared attribute they contradict. A picture that does not decode is reported
    /// and skipped; only a store failure is an error.
    pub async fn import_catalog_images(
        &self,
        styles: &[Style],
        images: &ColourwayImages,
    ) -> Result<CatalogImageReport, ServiceError> {
        let (mut report, looks) = analyse_feed_images(styles, images);
        if !looks.is_empty() {
            let mut stored = self.stored_looks().await?;
            report.looks_stored = looks.len();
            stored.embedding_len = EMBEDDING_LEN;
            stored.styles.extend(looks);
            let bytes = serde_json::to_vec(&stored).map_err(StoreError::backend)?;
            self.stores
                .artifacts
                .put(LOOKS_VERSION, LOOKS_ARTIFACT, &bytes)
                .await?;
            self.looks.set(Arc::new(index_of(stored)));
        }
        self.store_filled(&report.filled).await?;
        tracing::info!(
            analysed = report.extracted.len(),
            mismatches = report.mismatches.len(),
            filled = report.filled.len(),
            failed = report.failed.len(),
            without_image = report.without_image.len(),
            "catalogue images analysed"
        );
        Ok(report)
    }

    /// Sets the filled fields on the stored styles (as stored now: a field set since, by a
    /// later feed or a catalogue delta, stays); a style not in the catalogue is skipped.
    async fn store_filled(&self, filled: &[FilledAttribute]) -> Result<(), ServiceError> {
        let ids: std::collections::BTreeSet<&str> =
            filled.iter().map(|f| f.style_id.as_str()).collect();
        let mut changed = Vec::new();
        for id in ids {
            if let Some(stored) = self.stores.catalog.get_style(id).await? {
                changed.extend(with_filled(&stored, filled));
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        self.stores.catalog.put_styles(&changed).await?;
        self.reload_catalog().await
    }

    /// Frames that look like `style_id` in their product images (visual embedding
    /// cosine); the content neighbours of [`Framewise::similar`] when it has no picture.
    pub async fn similar_by_look(
        &self,
        style_id: &str,
        limit: Option<usize>,
    ) -> Result<Vec<RecommendedItem>, ServiceError> {
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        let limit = self.check_limit(limit)?;
        let looks = self.looks().await?;
        let engine = self.engine();
        let items = engine
            .similar_by_look(&looks, style_id, limit)
            .ok_or_else(|| not_found("product", style_id))?;
        Ok(hydrate(&engine, items, None))
    }

    /// The visual embeddings, read again when older than [`LOOKS_REFRESH`].
    async fn looks(&self) -> Result<Arc<LookIndex>, ServiceError> {
        if let Some(looks) = self.looks.fresh() {
            return Ok(looks);
        }
        let looks = Arc::new(index_of(self.stored_looks().await?));
        self.looks.set(looks.clone());
        Ok(looks)
    }

    async fn stored_looks(&self) -> Result<StoredLooks, ServiceError> {
        let Some(bytes) = self
            .stores
            .artifacts
            .get(LOOKS_VERSION, LOOKS_ARTIFACT)
            .await?
        else {
            return Ok(StoredLooks::default());
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            StoreError::Corrupt(format!("{LOOKS_VERSION}/{LOOKS_ARTIFACT}: {e}")).into()
        })
    }
}

/// Only embeddings of the current format: older ones would compare as unrelated.
fn index_of(stored: StoredLooks) -> LookIndex {
    LookIndex::new(
        stored
            .styles
            .into_iter()
            .filter(|(_, e)| e.len() == EMBEDDING_LEN)
            .collect::<HashMap<_, _>>(),
    )
}
