//! Lens outlines per frame shape, in millimetres around the lens centre: `x` runs from the
//! temple side (negative) to the nose (positive), `y` downwards. The drawing places one
//! outline per eye and mirrors it for the other.

use std::fmt::Write;

use crate::domain::Shape;

/// A point in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pt {
    pub x: f32,
    pub y: f32,
}

pub(super) const fn pt(x: f32, y: f32) -> Pt {
    Pt { x, y }
}

/// One segment of a closed outline (SVG path commands with absolute points).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seg {
    Move(Pt),
    Line(Pt),
    Quad(Pt, Pt),
    Cubic(Pt, Pt, Pt),
    Close,
}

/// A closed lens outline.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Outline(Vec<Seg>);

/// Bezier constant for a quarter ellipse.
const KAPPA: f32 = 0.552_284_8;

/// Points sampled per curve when an outline is flattened to find where it crosses a line.
const SAMPLES: usize = 24;

impl Outline {
    /// The SVG path data of this outline with every point mapped by `place` (the lens
    /// centre, mirroring).
    pub fn path(&self, place: impl Fn(Pt) -> Pt) -> String {
        let mut d = String::with_capacity(self.0.len() * 40);
        for seg in &self.0 {
            let (command, points): (&str, Vec<Pt>) = match *seg {
                Seg::Move(p) => ("M", vec![p]),
                Seg::Line(p) => ("L", vec![p]),
                Seg::Quad(c, p) => ("Q", vec![c, p]),
                Seg::Cubic(c1, c2, p) => ("C", vec![c1, c2, p]),
                Seg::Close => ("Z", Vec::new()),
            };
            d.push_str(command);
            for p in points {
                let p = place(p);
                let _ = write!(d, "{} {} ", num(p.x), num(p.y));
            }
        }
        d.trim_end().to_string()
    }

    /// The outline as a polygon (curves sampled), for geometry questions.
    fn polygon(&self) -> Vec<Pt> {
        let mut points = Vec::new();
        let mut at = pt(0.0, 0.0);
        for seg in &self.0 {
            match *seg {
                Seg::Move(p) | Seg::Line(p) => {
                    points.push(p);
                    at = p;
                }
                Seg::Quad(c, p) => {
                    points.extend((1..=SAMPLES).map(|i| quad(at, c, p, i as f32 / SAMPLES as f32)));
                    at = p;
                }
                Seg::Cubic(c1, c2, p) => {
                    points.extend(
                        (1..=SAMPLES).map(|i| cubic(at, c1, c2, p, i as f32 / SAMPLES as f32)),
                    );
                    at = p;
                }
                Seg::Close => {}
            }
        }
        points
    }

    /// Where the horizontal line at `y` crosses the outline: its temple-side and nose-side
    /// `x`, or None when the line misses the lens.
    pub fn span_at(&self, y: f32) -> Option<(f32, f32)> {
        let polygon = self.polygon();
        let n = polygon.len();
        let mut crossings = (0..n).filter_map(|i| {
            let (a, b) = (polygon[i], polygon[(i + 1) % n]);
            let (lo, hi) = if a.y <= b.y { (a, b) } else { (b, a) };
            if y < lo.y || y > hi.y || (hi.y - lo.y).abs() < f32::EPSILON {
                return None;
            }
            Some(lo.x + (hi.x - lo.x) * (y - lo.y) / (hi.y - lo.y))
        });
        let first = crossings.next()?;
        Some(crossings.fold((first, first), |(min, max), x| (min.min(x), max.max(x))))
    }
}

fn quad(a: Pt, c: Pt, b: Pt, t: f32) -> Pt {
    let u = 1.0 - t;
    pt(
        u * u * a.x + 2.0 * u * t * c.x + t * t * b.x,
        u * u * a.y + 2.0 * u * t * c.y + t * t * b.y,
    )
}

fn cubic(a: Pt, c1: Pt, c2: Pt, b: Pt, t: f32) -> Pt {
    let u = 1.0 - t;
    let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    pt(
        w0 * a.x + w1 * c1.x + w2 * c2.x + w3 * b.x,
        w0 * a.y + w1 * c1.y + w2 * c2.y + w3 * b.y,
    )
}

/// A number for SVG: two decimals at most, no trailing zeros, never `-0`.
pub(super) fn num(v: f32) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let text = format!("{v:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_string(),
        t => t.to_string(),
    }
}

/// The outline of one lens of `shape`, `hw` and `hh` its half width and half height (half
/// the boxing A and B). `reach` is the distance from the lens's nasal edge to the middle
/// of the frame (half the bridge): only a wrap's shield lens spans it.
pub(super) fn lens(shape: Shape, hw: f32, hh: f32, reach: f32) -> Outline {
    let (w, h) = (hw, hh);
    let c = |x: f32, y: f32| pt(x * w, y * h);
    match shape {
        Shape::Round => ellipse(w, h),
        // Flatter than round and a touch wider at the temple.
        Shape::Oval => Outline(vec![
            Seg::Move(c(1.0, 0.0)),
            Seg::Cubic(c(1.0, 0.62), c(0.5, 1.0), c(-0.05, 1.0)),
            Seg::Cubic(c(-0.62, 1.0), c(-1.0, 0.58), c(-1.0, -0.02)),
            Seg::Cubic(c(-1.0, -0.6), c(-0.6, -1.0), c(-0.05, -1.0)),
            Seg::Cubic(c(0.5, -1.0), c(1.0, -0.62), c(1.0, 0.0)),
            Seg::Close,
        ]),
        // Boxy, with generous corners.
        Shape::Square => rounded(
            &[c(-1.0, -1.0), c(1.0, -1.0), c(1.0, 1.0), c(-1.0, 1.0)],
            0.34 * h,
        ),
        // Crisp corners, the bottom a little narrower than the top.
        Shape::Rectangle => rounded(
            &[c(-1.02, -1.0), c(1.0, -1.0), c(0.94, 1.0), c(-0.9, 1.0)],
            0.1 * h,
        ),
        // A trapezoid: the top wider than the bottom, its temple corner raised.
        Shape::Wayfarer => rounded(
            &[c(-1.0, -1.06), c(0.98, -0.92), c(0.8, 1.0), c(-0.78, 0.92)],
            0.3 * h,
        ),
        // A flat-topped hexagon.
        Shape::Geometric => rounded(
            &[
                c(-1.0, 0.0),
                c(-0.52, -1.0),
                c(0.52, -1.0),
                c(1.0, 0.0),
                c(0.52, 1.0),
                c(-0.52, 1.0),
            ],
            0.1 * h,
        ),
        // Rising along the top to a point at the temple corner.
        Shape::CatEye => Outline(vec![
            Seg::Move(c(0.9, -0.78)),
            Seg::Cubic(c(0.3, -0.86), c(-0.6, -0.86), c(-1.04, -1.0)),
            Seg::Cubic(c(-0.9, -0.2), c(-0.6, 1.0), c(-0.02, 1.0)),
            Seg::Cubic(c(0.68, 1.0), c(1.0, 0.4), c(1.0, -0.22)),
            Seg::Cubic(c(1.0, -0.55), c(0.98, -0.72), c(0.9, -0.78)),
            Seg::Close,
        ]),
        // Oversized wings: wide at the top temple corner, full at the lower temple side,
        // narrow at the nose.
        Shape::Butterfly => Outline(vec![
            Seg::Move(c(0.8, -0.72)),
            Seg::Cubic(c(0.2, -1.02), c(-0.6, -1.06), c(-1.0, -0.86)),
            Seg::Cubic(c(-1.1, -0.1), c(-0.82, 0.98), c(-0.22, 1.0)),
            Seg::Cubic(c(0.42, 1.02), c(0.86, 0.32), c(0.9, -0.2)),
            Seg::Cubic(c(0.92, -0.46), c(0.88, -0.62), c(0.8, -0.72)),
            Seg::Close,
        ]),
        // A teardrop: flat top, deepest below the pupil, rising steeply at the nose.
        Shape::Aviator => Outline(vec![
            Seg::Move(c(0.95, -0.86)),
            Seg::Cubic(c(0.3, -1.02), c(-0.5, -1.02), c(-0.92, -0.8)),
            Seg::Cubic(c(-1.08, -0.5), c(-1.0, 0.3), c(-0.55, 0.78)),
            Seg::Cubic(c(-0.2, 1.05), c(0.35, 1.02), c(0.6, 0.6)),
            Seg::Cubic(c(0.85, 0.2), c(1.0, -0.4), c(0.95, -0.86)),
            Seg::Close,
        ]),
        // Straight brow line, rounded below.
        Shape::Browline => Outline(vec![
            Seg::Move(c(-1.0, -1.0)),
            Seg::Line(c(1.0, -1.0)),
            Seg::Cubic(c(1.04, 0.3), c(0.62, 1.0), c(0.0, 1.0)),
            Seg::Cubic(c(-0.62, 1.0), c(-1.04, 0.3), c(-1.0, -1.0)),
            Seg::Close,
        ]),
        // One half of a shield: the lens runs on to the middle of the frame, where the
        // other half meets it above a notch for the nose.
        Shape::Wrap => {
            let mid = w + reach;
            Outline(vec![
                Seg::Move(pt(mid, -0.96 * h)),
                Seg::Cubic(c(0.2, -1.12), c(-0.7, -1.1), c(-1.08, -0.76)),
                Seg::Cubic(c(-1.2, -0.1), c(-0.9, 0.96), c(-0.2, 1.0)),
                Seg::Cubic(c(0.5, 1.02), c(0.86, 0.62), pt(w + 0.35 * reach, 0.06 * h)),
                Seg::Quad(pt(w + 0.8 * reach, -0.34 * h), pt(mid, -0.4 * h)),
                Seg::Close,
            ])
        }
    }
}

fn ellipse(w: f32, h: f32) -> Outline {
    let (kw, kh) = (KAPPA * w, KAPPA * h);
    Outline(vec![
        Seg::Move(pt(w, 0.0)),
        Seg::Cubic(pt(w, kh), pt(kw, h), pt(0.0, h)),
        Seg::Cubic(pt(-kw, h), pt(-w, kh), pt(-w, 0.0)),
        Seg::Cubic(pt(-w, -kh), pt(-kw, -h), pt(0.0, -h)),
        Seg::Cubic(pt(kw, -h), pt(w, -kh), pt(w, 0.0)),
        Seg::Close,
    ])
}

/// A polygon with corners rounded over `radius` millimetres (at most half of each side).
fn rounded(corners: &[Pt], radius: f32) -> Outline {
    let n = corners.len();
    let towards = |from: Pt, to: Pt| {
        let length = ((to.x - from.x).powi(2) + (to.y - from.y).powi(2)).sqrt();
        let t = if length > 0.0 {
            (radius / length).min(0.5)
        } else {
            0.0
        };
        pt(from.x + (to.x - from.x) * t, from.y + (to.y - from.y) * t)
    };
    // Each corner: where the rounding enters it, the corner itself, where it leaves.
    let corner = |i: usize| {
        let p = corners[i];
        (
            towards(p, corners[(i + n - 1) % n]),
            p,
            towards(p, corners[(i + 1) % n]),
        )
    };
    let mut segs = Vec::with_capacity(2 * n + 2);
    if n == 0 {
        return Outline(segs);
    }
    segs.push(Seg::Move(corner(0).2));
    for i in (1..n).chain([0]) {
        let (enter, p, leave) = corner(i);
        segs.push(Seg::Line(enter));
        segs.push(Seg::Quad(p, leave));
    }
    segs.push(Seg::Close);
    Outline(segs)
}
