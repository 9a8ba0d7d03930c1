//! A grid of rendered product images with known shape and colour family, and the
//! confusion tables of what `framewise::imaging` recovers from them. Shared by the
//! accuracy test (`tests/image_features.rs`) and `cargo run --example image_accuracy`.
//!
//! Every shape class in every colour family, each drawn in three variants that cycle
//! through rim types (full acetate, full metal, semi-rimless, rimless), lens widths
//! (46-58 mm, heights from the demo catalogue's per-shape ratios, slightly varied),
//! optical and sun lenses, white and transparent backgrounds, PNG and JPEG (quality 60
//! and 85) and picture widths 320-900 px.

#![allow(dead_code)]

use std::io::Cursor;

use chrono::NaiveDate;
use framewise::domain::{
    Category, ColourFamily, ColourValue, Colourway, Finish, FrameColour, FrameSize, Material,
    Pattern, RimType, Style, Temperature, Variant,
};
use framewise::imaging::{self, ShapeClass};
use framewise::render::{frame_svg, rasterise_png};

/// One rendered test image and what it shows.
#[derive(Debug, Clone)]
pub struct Case {
    pub shape: ShapeClass,
    pub colour: FrameColour,
    pub rim: RimType,
    pub material: Material,
    pub category: Category,
    pub lens_width: f32,
    pub lens_height: f32,
    pub transparent: bool,
    /// None: PNG; Some(q): JPEG at quality q.
    pub jpeg_quality: Option<u8>,
    pub pixels_wide: u32,
}

/// The frame colours drawn: each family with a finish and pattern it is sold in.
pub fn colours() -> Vec<FrameColour> {
    use ColourFamily as F;
    use ColourValue as V;
    let c = |family, value, finish, pattern| FrameColour {
        name: format!("{family:?} {value:?}"),
        family,
        temperature: match family {
            F::Gold | F::Brown | F::Tortoise | F::Orange | F::Red | F::Yellow => Temperature::Warm,
            F::Silver | F::Gunmetal | F::Grey | F::Blue | F::Purple | F::Pink => Temperature::Cool,
            _ => Temperature::Neutral,
        },
        value,
        finish,
        pattern,
        hex: None,
    };
    vec![
        c(F::Black, V::Dark, Finish::Matte, Pattern::Solid),
        c(F::Tortoise, V::Medium, Finish::Glossy, Pattern::Tortoise),
        c(F::Brown, V::Medium, Finish::Matte, Pattern::Solid),
        c(F::Gold, V::Medium, Finish::Metallic, Pattern::Solid),
        c(F::Silver, V::Medium, Finish::Metallic, Pattern::Solid),
        c(F::Gunmetal, V::Dark, Finish::Metallic, Pattern::Solid),
        c(F::Grey, V::Medium, Finish::Matte, Pattern::Solid),
        c(F::Clear, V::Light, Finish::Transparent, Pattern::Crystal),
        c(F::Blue, V::Medium, Finish::Glossy, Pattern::Solid),
        c(F::Green, V::Dark, Finish::Glossy, Pattern::Solid),
        c(F::Red, V::Medium, Finish::Glossy, Pattern::Solid),
        c(F::Pink, V::Light, Finish::Glossy, Pattern::Solid),
        c(F::Purple, V::Medium, Finish::Glossy, Pattern::Solid),
        c(F::Orange, V::Medium, Finish::Glossy, Pattern::Solid),
        c(F::Yellow, V::Medium, Finish::Glossy, Pattern::Solid),
        c(F::White, V::Light, Finish::Glossy, Pattern::Solid),
    ]
}

/// Lens height over width by shape (the demo catalogue's ratios).
fn height_ratio(shape: ShapeClass) -> f32 {
    match shape {
        ShapeClass::Round => 0.90,
        ShapeClass::Aviator => 0.88,
        ShapeClass::Square | ShapeClass::Geometric => 0.84,
        ShapeClass::CatEye => 0.78,
        ShapeClass::Oval => 0.76,
        ShapeClass::Rectangle => 0.66,
    }
}

const RIMS: [(RimType, Material); 4] = [
    (RimType::Full, Material::Acetate),
    (RimType::Full, Material::Titanium),
    (RimType::SemiRimless, Material::StainlessSteel),
    (RimType::Rimless, Material::Titanium),
];
const LENS_WIDTHS: [f32; 5] = [46.0, 50.0, 53.0, 55.0, 58.0];
const RATIO_JITTER: [f32; 3] = [0.96, 1.0, 1.04];
const ENCODINGS: [Option<u8>; 3] = [None, Some(85), Some(60)];
const WIDTHS: [u32; 4] = [320, 480, 640, 900];

/// The grid: every shape class x colour in `variants` variants (`offset` shifts which
/// variants, so a second grid differs from the first).
pub fn cases(variants: usize, offset: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let colours = colours();
    for (s, shape) in ShapeClass::ALL.into_iter().enumerate() {
        for (c, colour) in colours.iter().enumerate() {
            for v in 0..variants {
                let n = offset + v * 7 + c * 3 + s;
                let (rim, material) = RIMS[n % RIMS.len()];
                let lens_width = LENS_WIDTHS[(n / 2) % LENS_WIDTHS.len()];
                let ratio = height_ratio(shape) * RATIO_JITTER[(n / 3) % RATIO_JITTER.len()];
                out.push(Case {
                    shape,
                    colour: colour.clone(),
                    rim,
                    material,
                    category: if n % 5 == 4 {
                        Category::Sun
                    } else {
                        Category::Optical
                    },
                    lens_width,
                    lens_height: (lens_width * ratio).round(),
                    transparent: (n / 2) % 2 == 1,
                    jpeg_quality: ENCODINGS[(n / 4) % ENCODINGS.len()],
                    pixels_wide: WIDTHS[(n / 5) % WIDTHS.len()],
                });
            }
        }
    }
    out
}

fn style_of(case: &Case) -> Style {
    let bridge = 18.0;
    Style {
        id: "grid".to_string(),
        name: "Grid".to_string(),
        brand: "House".to_string(),
        category: case.category,
        shape: case.shape.shape(),
        rim: case.rim,
        material: case.material,
        price_cents: 15_000,
        currency: "USD".to_string(),
        active: true,
        tags: vec![],
        launch_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        image_url: "https://img.example/grid.jpg".to_string(),
        sizes: vec![FrameSize {
            label: "m".to_string(),
            lens_width: case.lens_width,
            bridge,
            temple_length: 140.0,
            lens_height: case.lens_height,
            effective_diameter: case.lens_width.max(case.lens_height) + 3.0,
            total_width: 2.0 * case.lens_width + bridge + 8.0,
        }],
        colourways: vec![Colourway {
            code: "c1".to_string(),
            colour: case.colour.clone(),
            image_url: None,
            variants: vec![Variant {
                sku: "grid-c1-m".to_string(),
                size: "m".to_string(),
                stock: 1,
            }],
        }],
    }
}

/// The case drawn by the renderer as PNG or JPEG bytes, on white or transparent.
pub fn render(case: &Case) -> Vec<u8> {
    let svg = frame_svg(&style_of(case), None);
    let backdrop = r##"fill="#f3f4f6"/>"##;
    let svg = if case.transparent {
        // The backdrop rectangle goes; its shadow stays (a real cut-out often keeps one).
        let at = svg.find(backdrop).expect("the drawing has a backdrop");
        let start = svg[..at].rfind("<rect").expect("the backdrop is a rect");
        format!("{}{}", &svg[..start], &svg[at + backdrop.len()..])
    } else {
        svg.replace(backdrop, r##"fill="#ffffff"/>"##)
    };
    let png = rasterise_png(&svg, case.pixels_wide).expect("rasterised");
    let Some(quality) = case.jpeg_quality else {
        return png;
    };
    let rgba = image::load_from_memory(&png).expect("a PNG").to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), quality)
        .encode_image(&rgb)
        .expect("JPEG encoded");
    jpeg
}

/// What the grid recovered.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub images: usize,
    /// `shapes[expected][found]`.
    pub shapes: [[usize; 7]; 7],
    /// `families[expected][found]`.
    pub families: [[usize; 16]; 16],
    /// Images that gave no features at all, with the error.
    pub failures: Vec<(String, String)>,
    pub misses: Vec<String>,
    /// Every case with what was found, one line each.
    pub all: Vec<String>,
}

impl Evaluation {
    pub fn shape_accuracy(&self) -> f64 {
        diagonal(&self.shapes.map(|r| r.to_vec())) as f64 / self.images.max(1) as f64
    }

    pub fn family_accuracy(&self) -> f64 {
        diagonal(&self.families.map(|r| r.to_vec())) as f64 / self.images.max(1) as f64
    }

    /// The two confusion tables and accuracies as text.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} images: shape class {:.1}% recovered, colour family {:.1}% recovered ({} gave no features)\n\nshape (rows expected, columns found)\n{:>10}",
            self.images,
            100.0 * self.shape_accuracy(),
            100.0 * self.family_accuracy(),
            self.failures.len(),
            ""
        );
        let short = |s: &str| s.chars().take(9).collect::<String>();
        for class in ShapeClass::ALL {
            out.push_str(&format!("{:>10}", short(&format!("{class:?}"))));
        }
        out.push('\n');
        for (i, class) in ShapeClass::ALL.iter().enumerate() {
            out.push_str(&format!("{:>10}", short(&format!("{class:?}"))));
            for n in self.shapes[i] {
                out.push_str(&format!("{n:>10}"));
            }
            out.push('\n');
        }
        out.push_str("\ncolour family: expected -> found (count), recall per family\n");
        for (i, family) in ColourFamily::ALL.iter().enumerate() {
            let row = &self.families[i];
            let total: usize = row.iter().sum();
            let found: Vec<String> = row
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(j, n)| format!("{:?} {n}", ColourFamily::ALL[j]))
                .collect();
            out.push_str(&format!(
                "{:>9}: {:>3}/{:<3} {}\n",
                format!("{family:?}"),
                row[i],
                total,
                found.join(", ")
            ));
        }
        out
    }
}

fn diagonal(m: &[Vec<usize>]) -> usize {
    (0..m.len()).map(|i| m[i][i]).sum()
}

/// Renders and analyses every case.
pub fn evaluate(cases: &[Case]) -> Evaluation {
    let mut evaluation = Evaluation::default();
    for case in cases {
        evaluation.images += 1;
        let bytes = render(case);
        let label = format!(
            "{:?} {:?} {:?}/{:?} {:?} {}x{} {} {:?} {}px",
            case.shape,
            case.colour.family,
            case.rim,
            case.material,
            case.category,
            case.lens_width,
            case.lens_height,
            if case.transparent {
                "transparent"
            } else {
                "white"
            },
            case.jpeg_quality,
            case.pixels_wide
        );
        let features = imaging::decode(&bytes).and_then(|image| imaging::analyse(&image));
        match features {
            Ok(f) => {
                evaluation.shapes[case.shape as usize][f.shape as usize] += 1;
                evaluation.families[case.colour.family as usize][f.family as usize] += 1;
                evaluation.all.push(format!(
                    "{label}: found {:?} {:?} {:?}",
                    f.shape, f.family, f.lens
                ));
                if f.shape != case.shape || f.family != case.colour.family {
                    evaluation.misses.push(format!(
                        "{label}: found {:?} {:?} {:?}",
                        f.shape, f.family, f.lens
                    ));
                }
            }
            Err(e) => evaluation.failures.push((label, e.to_string())),
        }
    }
    evaluation
}
