//! The compact visual embedding of a product image, for "looks similar" neighbours: a
//! coarse CIELAB histogram of the frame's own pixels next to the lens outline descriptors,
//! each part scaled to unit length and weighted, so cosine similarity compares colour and
//! shape together.

use super::colour::Lab;
use super::silhouette::LensDescriptors;

/// Lightness bin edges (L*): dark, medium, light.
const LIGHTNESS_EDGES: [f32; 2] = [35.0, 65.0];
/// Edges on a* and b*: negative, near neutral, positive.
const OPPONENT_EDGES: [f32; 2] = [-8.0, 8.0];
/// Bins of the colour histogram (3 x 3 x 3).
pub const COLOUR_BINS: usize = 27;
/// How much of the embedding's length is colour, the rest shape.
const COLOUR_WEIGHT: f32 = 0.65;

/// Length of every visual embedding: the colour histogram and the outline descriptors.
pub const EMBEDDING_LEN: usize = COLOUR_BINS + 17;

fn bin(value: f32, edges: [f32; 2]) -> usize {
    edges.iter().filter(|e| value >= **e).count()
}

/// The weighted histogram of frame pixels over [`COLOUR_BINS`] Lab cells, summing to 1.
pub fn colour_histogram(pixels: &[(Lab, f32)]) -> [f32; COLOUR_BINS] {
    let mut histogram = [0.0f32; COLOUR_BINS];
    for (lab, weight) in pixels {
        let cell = bin(lab.l, LIGHTNESS_EDGES) * 9
            + bin(lab.a, OPPONENT_EDGES) * 3
            + bin(lab.b, OPPONENT_EDGES);
        histogram[cell] += weight;
    }
    let total: f32 = histogram.iter().sum();
    if total > 0.0 {
        histogram.iter_mut().for_each(|h| *h /= total);
    }
    histogram
}

/// The embedding: the histogram and the descriptors each at unit length, weighted.
pub fn embed(histogram: &[f32; COLOUR_BINS], lens: &LensDescriptors) -> Vec<f32> {
    let unit = |v: &[f32], weight: f32| -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter()
            .map(|x| if norm > 0.0 { x / norm * weight } else { 0.0 })
            .collect()
    };
    let mut out = unit(histogram, COLOUR_WEIGHT);
    out.extend(unit(&lens.vector(), 1.0 - COLOUR_WEIGHT));
    out
}

/// Cosine similarity of two embeddings (0 when either is empty or their lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let (na, nb) = (
        a.iter().map(|x| x * x).sum::<f32>().sqrt(),
        b.iter().map(|x| x * x).sum::<f32>().sqrt(),
    );
    if na > 0.0 && nb > 0.0 {
        dot / (na * nb)
    } else {
        0.0
    }
}
