//! Item embeddings as a model artifact: what the nightly trainer (Rust iALS with content, or
//! Spark MLlib ALS on EMR Serverless, `infra/spark/train_als.py`) publishes and what serving
//! and the workers fold shoppers into.
//!
//! A version is a handful of files under `models/<version>/`, so any trainer that can write
//! little-endian floats can produce one and a reader needs one read per file:
//! - `item-embeddings.f32`: items x dims, row-major little-endian f32, rows in `item_ids`
//!   order;
//! - `gram.f32`: dims x dims, Yᵀ Y of those rows (what every fold-in starts from);
//! - `popularity.f32`: one weighted interaction count per item;
//! - `attribute-embeddings.f32` (optional): one vector per catalogue attribute token named
//!   in the manifest, so a style launched after training still gets a vector (the sum of
//!   its attributes' vectors);
//! - `manifest.json`, written last: dimensions, item index, fold-in and training
//!   parameters, validation metrics and a SHA-256 per file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LearnError;

/// Name of the manifest inside a model version.
pub const MANIFEST: &str = "manifest.json";
/// Item vectors.
pub const ITEM_EMBEDDINGS: &str = "item-embeddings.f32";
/// Yᵀ Y of the item vectors.
pub const GRAM: &str = "gram.f32";
/// Weighted interaction count per item.
pub const POPULARITY: &str = "popularity.f32";
/// Vectors of catalogue attribute tokens (content part of the item vectors).
pub const ATTRIBUTE_EMBEDDINGS: &str = "attribute-embeddings.f32";
/// The manifest's `format`.
pub const FORMAT: &str = "framewise-embeddings";
/// Bumped whenever the layout changes; readers reject other versions.
pub const FORMAT_VERSION: u32 = 1;

/// How a shopper's vector is solved from their history: (YᵀY + Σ alpha w y yᵀ + reg' I) x =
/// Σ (1 + alpha w) y, with reg' = reg, or reg times the number of history items when the
/// trainer regularised that way (Spark's ALS-WR).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FoldIn {
    pub alpha: f32,
    pub reg: f32,
    #[serde(default)]
    pub reg_per_interaction: bool,
}

/// Size and checksum of one file of a version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub version: String,
    /// `framewise-ials` or `spark-als`.
    pub trainer: String,
    pub created_at: String,
    pub dims: usize,
    pub items: usize,
    pub item_ids: Vec<String>,
    pub fold_in: FoldIn,
    /// Training parameters and sizes, as the trainer reports them.
    #[serde(default)]
    pub params: serde_json::Value,
    /// Validation metrics measured before publishing, if any.
    #[serde(default)]
    pub validation: serde_json::Value,
    /// Attribute tokens, in `attribute-embeddings.f32` row order (empty: no content part).
    #[serde(default)]
    pub attributes: Vec<String>,
    pub files: std::collections::BTreeMap<String, FileEntry>,
}

/// A loaded embedding model.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingModel {
    pub version: String,
    pub trainer: String,
    pub dims: usize,
    pub item_ids: Vec<String>,
    /// items x dims, row-major.
    pub item: Vec<f32>,
    /// dims x dims.
    pub gram: Vec<f32>,
    pub popularity: Vec<f32>,
    pub fold_in: FoldIn,
    pub attributes: Vec<String>,
    /// attributes x dims.
    pub attribute_vectors: Vec<f32>,
    pub params: serde_json::Value,
    pub validation: serde_json::Value,
}

fn bad(msg: impl Into<String>) -> LearnError {
    LearnError::Artifact(msg.into())
}

/// Little-endian bytes of a float slice.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Floats of little-endian bytes, checking the count.
pub fn f32_values(bytes: &[u8], expected: usize, what: &str) -> Result<Vec<f32>, LearnError> {
    if bytes.len() != expected * 4 {
        return Err(bad(format!(
            "{what}: {} bytes, expected {} ({expected} floats)",
            bytes.len(),
            expected * 4
        )));
    }
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(bad(format!("{what}: holds a NaN or infinite value")));
    }
    Ok(values)
}

/// Hex SHA-256, the checksum the manifest records.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl EmbeddingModel {
    /// Yᵀ Y of `item` (dims x dims), accumulated in f64.
    pub fn gram_of(item: &[f32], dims: usize) -> Vec<f32> {
        let mut g = vec![0.0f64; dims * dims];
        for row in item.chunks_exact(dims.max(1)) {
            for (a, &ra) in row.iter().enumerate() {
                for (b, &rb) in row.iter().enumerate() {
                    g[a * dims + b] += f64::from(ra) * f64::from(rb);
                }
            }
        }
        g.into_iter().map(|v| v as f32).collect()
    }

    /// The files of this version, manifest last (the order to write them in).
    pub fn to_files(&self, created_at: &str) -> Result<Vec<(&'static str, Vec<u8>)>, LearnError> {
        self.check()?;
        let mut files = vec![
            (ITEM_EMBEDDINGS, f32_bytes(&self.item)),
            (GRAM, f32_bytes(&self.gram)),
            (POPULARITY, f32_bytes(&self.popularity)),
        ];
        if !self.attributes.is_empty() {
            files.push((ATTRIBUTE_EMBEDDINGS, f32_bytes(&self.attribute_vectors)));
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            version: self.version.clone(),
            trainer: self.trainer.clone(),
            created_at: created_at.into(),
            dims: self.dims,
            items: self.item_ids.len(),
            item_ids: self.item_ids.clone(),
            fold_in: self.fold_in,
            params: self.params.clone(),
            validation: self.validation.clone(),
            attributes: self.attributes.clone(),
            files: files
                .iter()
                .map(|(name, bytes)| {
                    (
                        (*name).to_string(),
                        FileEntry {
                            bytes: bytes.len() as u64,
                            sha256: sha256_hex(bytes),
                        },
                    )
                })
                .collect(),
        };
        let manifest =
            serde_json::to_vec_pretty(&manifest).map_err(|e| bad(format!("manifest: {e}")))?;
        files.push((MANIFEST, manifest));
        Ok(files)
    }

    /// Parses a manifest.
    pub fn manifest(bytes: &[u8]) -> Result<Manifest, LearnError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("{MANIFEST}: {e}")))?;
        if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
            return Err(bad(format!(
                "{MANIFEST}: format {} v{}, this reader knows {FORMAT} v{FORMAT_VERSION}",
                manifest.format, manifest.format_version
            )));
        }
        if manifest.item_ids.len() != manifest.items || manifest.dims == 0 {
            return Err(bad(format!(
                "{MANIFEST}: {} item ids for {} items, {} dims",
                manifest.item_ids.len(),
                manifest.items,
                manifest.dims
            )));
        }
        Ok(manifest)
    }

    /// Assembles a model from its manifest and its files' bytes (fetched by name), checking
    /// every size and checksum.
    pub fn from_parts(
        manifest: Manifest,
        mut file: impl FnMut(&str) -> Option<Vec<u8>>,
    ) -> Result<EmbeddingModel, LearnError> {
        let mut read = |name: &str, floats: usize| -> Result<Vec<f32>, LearnError> {
            let entry = manifest
                .files
                .get(name)
                .ok_or_else(|| bad(format!("{MANIFEST} does not list {name}")))?;
            let bytes = file(name).ok_or_else(|| bad(format!("{name} is missing")))?;
            if bytes.len() as u64 != entry.bytes || sha256_hex(&bytes) != entry.sha256 {
                return Err(bad(format!(
                    "{name} does not match its manifest entry (size or SHA-256)"
                )));
            }
            f32_values(&bytes, floats, name)
        };
        let (n, d) = (manifest.items, manifest.dims);
        let item = read(ITEM_EMBEDDINGS, n * d)?;
        let gram = read(GRAM, d * d)?;
        let popularity = read(POPULARITY, n)?;
        let attribute_vectors = if manifest.attributes.is_empty() {
            Vec::new()
        } else {
            read(ATTRIBUTE_EMBEDDINGS, manifest.attributes.len() * d)?
        };
        let model = EmbeddingModel {
            version: manifest.version,
            trainer: manifest.trainer,
            dims: d,
            item_ids: manifest.item_ids,
            item,
            gram,
            popularity,
            fold_in: manifest.fold_in,
            attributes: manifest.attributes,
            attribute_vectors,
            params: manifest.params,
            validation: manifest.validation,
        };
        model.check()?;
        Ok(model)
    }

    fn check(&self) -> Result<(), LearnError> {
        let (n, d) = (self.item_ids.len(), self.dims);
        let sizes_ok = d > 0
            && self.item.len() == n * d
            && self.gram.len() == d * d
            && self.popularity.len() == n
            && self.attribute_vectors.len() == self.attributes.len() * d;
        if !sizes_ok {
            return Err(bad(format!(
                "inconsistent sizes: {n} items x {d} dims, {} item floats, {} gram floats, {} popularity, {} attributes with {} floats",
                self.item.len(),
                self.gram.len(),
                self.popularity.len(),
                self.attributes.len(),
                self.attribute_vectors.len()
            )));
        }
        if self.item_ids.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("item ids must be sorted and unique"));
        }
        let fold = self.fold_in;
        if !(fold.alpha >= 0.0 && fold.reg > 0.0 && fold.alpha.is_finite() && fold.reg.is_finite())
        {
            return Err(bad("fold_in: alpha must be >= 0 and reg > 0"));
        }
        Ok(())
    }

    /// The vector of attribute token `token`, if the model has one.
    pub fn attribute_vector(&self, token: &str) -> Option<&[f32]> {
        let i = self.attributes.iter().position(|a| a == token)?;
        self.attribute_vectors
            .get(i * self.dims..(i + 1) * self.dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> EmbeddingModel {
        let item = vec![1.0, 0.0, 0.5, 0.5, 0.0, 1.0];
        EmbeddingModel {
            version: "v1".into(),
            trainer: "framewise-ials".into(),
            dims: 2,
            item_ids: vec!["a".into(), "b".into(), "c".into()],
            gram: EmbeddingModel::gram_of(&item, 2),
            item,
            popularity: vec![3.0, 1.0, 0.0],
            fold_in: FoldIn {
                alpha: 10.0,
                reg: 0.1,
                reg_per_interaction: false,
            },
            attributes: vec!["shape:round".into()],
            attribute_vectors: vec![0.25, -0.25],
            params: serde_json::json!({"factors": 2}),
            validation: serde_json::Value::Null,
        }
    }

    fn load(files: &[(&'static str, Vec<u8>)]) -> Result<EmbeddingModel, LearnError> {
        let manifest = EmbeddingModel::manifest(&files.last().expect("manifest").1)?;
        EmbeddingModel::from_parts(manifest, |name| {
            files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.clone())
        })
    }

    #[test]
    fn when_written_and_read_should_round_trip_with_manifest_last() {
        let model = tiny();
        let files = model.to_files("2026-12-01T00:00:00Z").expect("files");
        assert_eq!(files.last().map(|f| f.0), Some(MANIFEST));
        assert_eq!(files[0].1.len(), 3 * 2 * 4, "dense little-endian f32");
        assert_eq!(load(&files).expect("load"), model);
        assert_eq!(model.gram, vec![1.25, 0.25, 0.25, 1.25]);
        assert_eq!(
            model.attribute_vector("shape:round"),
            Some(&[0.25, -0.25][..])
        );
    }

    #[test]
    fn when_a_file_is_altered_or_missing_should_refuse_by_name() {
        let mut files = tiny().to_files("t").expect("files");
        files[0].1[0] ^= 1;
        let error = load(&files).expect_err("tampered").to_string();
        assert!(error.contains(ITEM_EMBEDDINGS), "{error}");
        let files: Vec<_> = tiny()
            .to_files("t")
            .expect("files")
            .into_iter()
            .filter(|(n, _)| *n != GRAM)
            .collect();
        let error = load(&files).expect_err("missing").to_string();
        assert!(error.contains(GRAM), "{error}");
    }

    #[test]
    fn when_manifest_is_foreign_should_refuse() {
        let error = EmbeddingModel::manifest(br#"{"format":"other"}"#)
            .expect_err("foreign")
            .to_string();
        assert!(error.contains(MANIFEST), "{error}");
        let mut m = tiny();
        m.item_ids.swap(0, 1);
        assert!(m.to_files("t").is_err(), "unsorted ids");
    }
}
