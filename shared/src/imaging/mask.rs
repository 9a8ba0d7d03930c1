//! Binary pixel masks and the morphology the silhouette needs: Euclidean distance
//! transforms (erosion, dilation, opening, closing by a disc), hole filling and connected
//! components.

use std::collections::VecDeque;

/// A `width` x `height` grid of on/off pixels, row by row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mask {
    pub width: usize,
    pub height: usize,
    pub on: Vec<bool>,
}

/// An axis-aligned box of pixels, bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BoundingBox {
    pub left: usize,
    pub top: usize,
    pub right: usize,
    pub bottom: usize,
}

impl BoundingBox {
    pub fn width(&self) -> usize {
        self.right + 1 - self.left
    }

    pub fn height(&self) -> usize {
        self.bottom + 1 - self.top
    }
}

/// A connected set of on pixels (4-neighbourhood).
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub pixels: Vec<usize>,
    pub bounds: BoundingBox,
}

/// Far beyond any squared pixel distance of an image we analyse.
const FAR: f64 = 1e12;

impl Mask {
    pub fn from_fn(width: usize, height: usize, on: impl Fn(usize, usize) -> bool) -> Mask {
        let mut bits = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                bits.push(on(x, y));
            }
        }
        Mask {
            width,
            height,
            on: bits,
        }
    }

    #[cfg(test)]
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.on[y * self.width + x]
    }

    /// The box around every on pixel, None when none is on.
    pub fn bounds(&self) -> Option<BoundingBox> {
        let mut found: Option<BoundingBox> = None;
        for (i, _) in self.on.iter().enumerate().filter(|(_, b)| **b) {
            let (x, y) = (i % self.width, i / self.width);
            found = Some(match found {
                None => BoundingBox {
                    left: x,
                    top: y,
                    right: x,
                    bottom: y,
                },
                Some(b) => BoundingBox {
                    left: b.left.min(x),
                    top: b.top.min(y),
                    right: b.right.max(x),
                    bottom: b.bottom.max(y),
                },
            });
        }
        found
    }

    /// Distance in pixels from each pixel to the nearest off pixel (0 for off pixels);
    /// outside the image counts as off.
    pub fn distance_to_off(&self) -> Vec<f32> {
        distances(self.width, self.height, |i| !self.on[i], true)
    }

    /// Distance in pixels from each pixel to the nearest on pixel (0 for on pixels).
    pub fn distance_to_on(&self) -> Vec<f32> {
        distances(self.width, self.height, |i| self.on[i], false)
    }

    fn with_bits(&self, on: Vec<bool>) -> Mask {
        Mask {
            width: self.width,
            height: self.height,
            on,
        }
    }

    /// Erosion by a disc of `radius` pixels.
    pub fn eroded(&self, radius: f32) -> Mask {
        self.with_bits(self.distance_to_off().iter().map(|d| *d > radius).collect())
    }

    /// Dilation by a disc of `radius` pixels.
    pub fn dilated(&self, radius: f32) -> Mask {
        self.with_bits(self.distance_to_on().iter().map(|d| *d <= radius).collect())
    }

    /// Closing: bridges gaps narrower than the disc (a thin rim broken by compression).
    pub fn closed(&self, radius: f32) -> Mask {
        self.dilated(radius).eroded(radius)
    }

    /// Opening: removes parts thinner than the disc (temples, bridge, nose pads).
    pub fn opened(&self, radius: f32) -> Mask {
        self.eroded(radius).dilated(radius)
    }

    /// Off regions that do not reach the image border (a lens inside its rim) turned on.
    pub fn holes_filled(&self) -> Mask {
        let (w, h) = (self.width, self.height);
        let mut outside = vec![false; w * h];
        let mut queue = VecDeque::new();
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                if (x == 0 || y == 0 || x + 1 == w || y + 1 == h) && !self.on[i] {
                    outside[i] = true;
                    queue.push_back(i);
                }
            }
        }
        while let Some(i) = queue.pop_front() {
            for j in neighbours(i, w, h) {
                if !self.on[j] && !outside[j] {
                    outside[j] = true;
                    queue.push_back(j);
                }
            }
        }
        self.with_bits(outside.into_iter().map(|o| !o).collect())
    }

    /// Connected components of on pixels, largest first.
    pub fn components(&self) -> Vec<Component> {
        let (w, h) = (self.width, self.height);
        let mut seen = vec![false; w * h];
        let mut found = Vec::new();
        for start in 0..w * h {
            if !self.on[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            let mut pixels = vec![start];
            let mut next = 0;
            while next < pixels.len() {
                let i = pixels[next];
                next += 1;
                for j in neighbours(i, w, h) {
                    if self.on[j] && !seen[j] {
                        seen[j] = true;
                        pixels.push(j);
                    }
                }
            }
            let (xs, ys) = (pixels.iter().map(|i| i % w), pixels.iter().map(|i| i / w));
            let bounds = BoundingBox {
                left: xs.clone().min().unwrap_or(0),
                right: xs.max().unwrap_or(0),
                top: ys.clone().min().unwrap_or(0),
                bottom: ys.max().unwrap_or(0),
            };
            found.push(Component { pixels, bounds });
        }
        found.sort_by_key(|c| std::cmp::Reverse(c.pixels.len()));
        found
    }
}

/// The 4-neighbours of pixel `i` inside a `w` x `h` grid.
fn neighbours(i: usize, w: usize, h: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [
        (x > 0).then(|| i - 1),
        (x + 1 < w).then(|| i + 1),
        (y > 0).then(|| i - w),
        (y + 1 < h).then(|| i + w),
    ]
    .into_iter()
    .flatten()
}

/// Exact Euclidean distance to the nearest source pixel (Felzenszwalb and Huttenlocher's
/// two-pass lower envelope of parabolas), optionally with a ring of sources just outside
/// the image.
fn distances(
    width: usize,
    height: usize,
    is_source: impl Fn(usize) -> bool,
    border_is_source: bool,
) -> Vec<f32> {
    let pad = usize::from(border_is_source);
    let (w, h) = (width + 2 * pad, height + 2 * pad);
    let mut grid = vec![FAR; w * h];
    for y in 0..h {
        for x in 0..w {
            let inside = x >= pad && y >= pad && x < width + pad && y < height + pad;
            let source = if inside {
                is_source((y - pad) * width + (x - pad))
            } else {
                true
            };
            if source {
                grid[y * w + x] = 0.0;
            }
        }
    }
    let mut line = vec![0.0; w.max(h)];
    let mut out = vec![0.0; w.max(h)];
    let mut scratch = Envelope::new(w.max(h));
    for x in 0..w {
        for y in 0..h {
            line[y] = grid[y * w + x];
        }
        scratch.transform(&line[..h], &mut out[..h]);
        for y in 0..h {
            grid[y * w + x] = out[y];
        }
    }
    for y in 0..h {
        line[..w].copy_from_slice(&grid[y * w..(y + 1) * w]);
        scratch.transform(&line[..w], &mut out[..w]);
        grid[y * w..(y + 1) * w].copy_from_slice(&out[..w]);
    }
    let mut result = Vec::with_capacity(width * height);
    for y in 0..height {
        for x in 0..width {
            result.push(grid[(y + pad) * w + x + pad].sqrt() as f32);
        }
    }
    result
}

/// Scratch space of the one-dimensional squared distance transform.
struct Envelope {
    vertices: Vec<usize>,
    bounds: Vec<f64>,
}

impl Envelope {
    fn new(n: usize) -> Self {
        Self {
            vertices: vec![0; n],
            bounds: vec![0.0; n + 1],
        }
    }

    /// `out[q] = min over p of (q - p)^2 + f[p]`.
    fn transform(&mut self, f: &[f64], out: &mut [f64]) {
        let n = f.len();
        if n == 0 {
            return;
        }
        let (v, z) = (&mut self.vertices, &mut self.bounds);
        let sq = |p: usize| (p * p) as f64;
        let mut k = 0;
        v[0] = 0;
        z[0] = f64::NEG_INFINITY;
        z[1] = f64::INFINITY;
        for q in 1..n {
            let mut s;
            loop {
                let p = v[k];
                s = ((f[q] + sq(q)) - (f[p] + sq(p))) / (2.0 * (q as f64 - p as f64));
                if s <= z[k] && k > 0 {
                    k -= 1;
                } else {
                    break;
                }
            }
            // k == 0 with s <= z[0] cannot happen: z[0] is minus infinity.
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
        }
        k = 0;
        for (q, slot) in out.iter_mut().enumerate() {
            while z[k + 1] < q as f64 {
                k += 1;
            }
            let d = q as f64 - v[k] as f64;
            *slot = d * d + f[v[k]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(size: usize, outer: f32, inner: f32) -> Mask {
        let c = size as f32 / 2.0;
        Mask::from_fn(size, size, |x, y| {
            let r = ((x as f32 + 0.5 - c).powi(2) + (y as f32 + 0.5 - c).powi(2)).sqrt();
            r <= outer && r >= inner
        })
    }

    #[test]
    fn when_measuring_distances_should_be_euclidean() {
        let mask = Mask::from_fn(9, 9, |x, y| x == 4 && y == 4);
        let d = mask.distance_to_on();
        assert_eq!(d[4 * 9 + 4], 0.0);
        assert!((d[0] - (32.0f32).sqrt()).abs() < 1e-5, "corner {}", d[0]);
        assert!((d[4 * 9 + 7] - 3.0).abs() < 1e-5);
        let full = Mask::from_fn(5, 5, |_, _| true);
        assert_eq!(
            full.distance_to_off()[2 * 5 + 2],
            3.0,
            "the border counts as off"
        );
    }

    #[test]
    fn when_a_ring_encloses_a_lens_should_fill_it_and_opening_should_drop_thin_parts() {
        let ring = ring(41, 16.0, 13.0);
        let filled = ring.holes_filled();
        assert!(filled.get(20, 20), "the inside of the ring is filled");
        assert!(!filled.get(1, 1));
        let mut with_stick = filled.clone();
        for x in 0..8 {
            with_stick.on[20 * 41 + x] = true;
        }
        let opened = with_stick.opened(3.0);
        assert!(!opened.get(2, 20), "a one-pixel stick goes");
        assert!(opened.get(20, 20) && opened.get(20, 6), "the disc stays");
        assert_eq!(opened.components().len(), 1);
    }
}
