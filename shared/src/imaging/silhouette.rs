//! The frame's silhouette: the background mask closed and its lenses filled, the lenses
//! separated from temples and bridge, each lens described in its own box (temple side
//! left, the right lens mirrored), and the coarse outline shape named from those
//! descriptors.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::mask::{Component, Mask};
use crate::domain::Shape;

/// The outline classes an image can tell apart. Browline, wayfarer, butterfly and wrap
/// frames are named by the class they look like from the front (see [`ShapeClass::of`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ShapeClass {
    Round,
    Oval,
    Square,
    Rectangle,
    CatEye,
    Aviator,
    Geometric,
}

impl ShapeClass {
    /// Every class in declaration order (`ALL[c as usize] == c`).
    pub const ALL: [ShapeClass; 7] = [
        Self::Round,
        Self::Oval,
        Self::Square,
        Self::Rectangle,
        Self::CatEye,
        Self::Aviator,
        Self::Geometric,
    ];

    /// The class a declared shape should show as from the front; None for a wrap, whose
    /// one shield lens has no class of its own.
    pub fn of(shape: Shape) -> Option<ShapeClass> {
        Some(match shape {
            Shape::Round => Self::Round,
            Shape::Oval => Self::Oval,
            Shape::Square => Self::Square,
            Shape::Rectangle | Shape::Wayfarer => Self::Rectangle,
            Shape::CatEye | Shape::Butterfly => Self::CatEye,
            Shape::Aviator => Self::Aviator,
            Shape::Geometric => Self::Geometric,
            Shape::Browline => Self::Square,
            Shape::Wrap => return None,
        })
    }

    /// The catalogue shape of this class.
    pub fn shape(self) -> Shape {
        match self {
            Self::Round => Shape::Round,
            Self::Oval => Shape::Oval,
            Self::Square => Shape::Square,
            Self::Rectangle => Shape::Rectangle,
            Self::CatEye => Shape::CatEye,
            Self::Aviator => Shape::Aviator,
            Self::Geometric => Shape::Geometric,
        }
    }
}

/// Rows of the lens box at which the width profile is taken, top (-1) to bottom (1).
pub const PROFILE_ROWS: [f32; 9] = [-0.9, -0.7, -0.5, -0.25, 0.0, 0.25, 0.5, 0.7, 0.9];

/// One lens outline in its own box, temple side at the left.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LensDescriptors {
    /// Box height over width.
    pub aspect: f32,
    /// Share of the box the lens covers (an ellipse 0.79, a sharp rectangle near 1).
    pub fill: f32,
    /// Share covered of each corner of the box (the outer fifth each way): top temple,
    /// top nose, bottom temple, bottom nose.
    pub corners: [f32; 4],
    /// Width of the lens at each of [`PROFILE_ROWS`], as a share of the box width.
    pub widths: [f32; 9],
    /// Where the lens is highest and lowest across its width: the mean `u` (-1 temple,
    /// 1 nose) of the top and of the bottom tenth of its rows.
    pub top_u: f32,
    pub bottom_u: f32,
}

impl LensDescriptors {
    fn mean(a: &LensDescriptors, b: &LensDescriptors) -> LensDescriptors {
        let m = |x: f32, y: f32| (x + y) / 2.0;
        LensDescriptors {
            aspect: m(a.aspect, b.aspect),
            fill: m(a.fill, b.fill),
            corners: std::array::from_fn(|i| m(a.corners[i], b.corners[i])),
            widths: std::array::from_fn(|i| m(a.widths[i], b.widths[i])),
            top_u: m(a.top_u, b.top_u),
            bottom_u: m(a.bottom_u, b.bottom_u),
        }
    }

    /// The descriptors as numbers of similar scale, for the visual embedding.
    pub fn vector(&self) -> Vec<f32> {
        let mut v = vec![self.aspect, self.fill];
        v.extend(self.corners);
        v.extend(self.widths);
        v.push(self.top_u / 2.0);
        v.push(self.bottom_u / 2.0);
        v
    }
}

/// Describes the lens `component` of a mask `width` pixels wide; `mirrored` for the lens
/// whose temple is on the right of the picture.
pub(crate) fn describe_lens(
    component: &Component,
    width: usize,
    mirrored: bool,
) -> LensDescriptors {
    let b = component.bounds;
    let (bw, bh) = (b.width(), b.height());
    let mut on = vec![false; bw * bh];
    for &i in &component.pixels {
        let (x, y) = (i % width - b.left, i / width - b.top);
        let x = if mirrored { bw - 1 - x } else { x };
        on[y * bw + x] = true;
    }
    let at = |x: usize, y: usize| on[y * bw + x];
    // Pixel centres in the box's own coordinates, -1..1 each way.
    let u = |x: usize| (2.0 * (x as f32 + 0.5) / bw as f32) - 1.0;
    let share = |xs: std::ops::Range<usize>, ys: std::ops::Range<usize>| {
        let total = xs.len() * ys.len();
        if total == 0 {
            return 0.0;
        }
        let count = ys
            .flat_map(|y| xs.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| at(x, y))
            .count();
        count as f32 / total as f32
    };
    let fifth = |n: usize| ((n as f32 * 0.2).round() as usize).max(1).min(n);
    let (cx, cy) = (fifth(bw), fifth(bh));
    let corners = [
        share(0..cx, 0..cy),
        share(bw - cx..bw, 0..cy),
        share(0..cx, bh - cy..bh),
        share(bw - cx..bw, bh - cy..bh),
    ];
    let widths = PROFILE_ROWS.map(|row| {
        let y = (((row + 1.0) / 2.0) * bh as f32)
            .floor()
            .clamp(0.0, (bh - 1) as f32) as usize;
        let xs: Vec<usize> = (0..bw).filter(|&x| at(x, y)).collect();
        match (xs.first(), xs.last()) {
            (Some(first), Some(last)) => (last + 1 - first) as f32 / bw as f32,
            _ => 0.0,
        }
    });
    let mean_u = |ys: std::ops::Range<usize>| {
        let (sum, n) = ys
            .flat_map(|y| (0..bw).map(move |x| (x, y)))
            .filter(|&(x, y)| at(x, y))
            .fold((0.0, 0usize), |(s, n), (x, _)| (s + u(x), n + 1));
        if n == 0 {
            0.0
        } else {
            sum / n as f32
        }
    };
    let tenth = ((bh as f32 * 0.1).round() as usize).max(1).min(bh);
    LensDescriptors {
        aspect: bh as f32 / bw as f32,
        fill: component.pixels.len() as f32 / (bw * bh) as f32,
        corners,
        widths,
        top_u: mean_u(0..tenth),
        bottom_u: mean_u(bh - tenth..bh),
    }
}

/// The lens blobs of a filled silhouette: its thin parts (temples, bridge, nose pads, an
/// aviator's brow bar) opened away.
pub(crate) fn lens_blobs(solid: &Mask, frame_height: f32) -> Mask {
    solid.opened(LENS_OPENING * frame_height)
}

/// The two lenses among the `blobs` of [`lens_blobs`]: the two largest parts, left to
/// right. One part only (lenses run together) is split at the middle of the frame.
pub(crate) fn lenses(blobs: &Mask) -> Option<LensDescriptors> {
    let mut parts = blobs.components();
    let total: usize = parts.iter().map(|c| c.pixels.len()).sum();
    parts.retain(|c| c.pixels.len() as f32 >= 0.15 * total as f32);
    match parts.as_slice() {
        [] => None,
        [one] => {
            let middle = (one.bounds.left + one.bounds.right) / 2;
            let halves = split_at(one, blobs.width, middle);
            Some(LensDescriptors::mean(
                &describe_lens(&halves.0, blobs.width, false),
                &describe_lens(&halves.1, blobs.width, true),
            ))
        }
        [a, b, ..] => {
            let (left, right) = if a.bounds.left <= b.bounds.left {
                (a, b)
            } else {
                (b, a)
            };
            Some(LensDescriptors::mean(
                &describe_lens(left, blobs.width, false),
                &describe_lens(right, blobs.width, true),
            ))
        }
    }
}

/// Radius of the opening that separates the lenses, as a share of the frame's height:
/// wider than the thickest temple or bridge, far narrower than a lens.
const LENS_OPENING: f32 = 0.075;

fn split_at(component: &Component, width: usize, middle: usize) -> (Component, Component) {
    let (left, right): (Vec<usize>, Vec<usize>) =
        component.pixels.iter().partition(|&&i| i % width <= middle);
    let bounded = |pixels: Vec<usize>| {
        let mut mask_bounds = component.bounds;
        let xs = pixels.iter().map(|i| i % width);
        mask_bounds.left = xs.clone().min().unwrap_or(component.bounds.left);
        mask_bounds.right = xs.max().unwrap_or(component.bounds.right);
        let ys = pixels.iter().map(|i| i / width);
        mask_bounds.top = ys.clone().min().unwrap_or(component.bounds.top);
        mask_bounds.bottom = ys.max().unwrap_or(component.bounds.bottom);
        Component {
            pixels,
            bounds: mask_bounds,
        }
    };
    (bounded(left), bounded(right))
}

/// The outline class of a lens from its descriptors. The thresholds sit between the
/// classes' ranges measured over the rendered grid (`tests/image_grid`): a cat-eye's top
/// temple corner is full and its lower temple corner empty, an aviator's lower corners
/// are empty under a full top; square and rectangular lenses fill their corners and differ
/// in depth; a hexagon's top and bottom edges stay wide where an ellipse's close.
pub fn classify(d: &LensDescriptors) -> ShapeClass {
    let [top_temple, top_nose, bottom_temple, bottom_nose] = d.corners;
    let w = &d.widths;
    if top_temple >= 0.7 && bottom_temple < 0.3 && d.top_u < -0.15 {
        return ShapeClass::CatEye;
    }
    if bottom_temple < 0.3 && bottom_nose < 0.3 && (top_temple + top_nose) / 2.0 >= 0.45 {
        return ShapeClass::Aviator;
    }
    if (top_temple + top_nose + bottom_temple + bottom_nose) / 4.0 >= 0.4 {
        return if d.aspect < 0.725 {
            ShapeClass::Rectangle
        } else {
            ShapeClass::Square
        };
    }
    if (w[0] + w[8]) / 2.0 >= 0.51 {
        return ShapeClass::Geometric;
    }
    if d.aspect >= 0.82 {
        ShapeClass::Round
    } else {
        ShapeClass::Oval
    }
}
