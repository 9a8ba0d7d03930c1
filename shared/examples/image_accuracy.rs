//! Prints how well product-image analysis recovers shape class and colour family over a
//! grid of rendered frames: `cargo run --release --example image_accuracy [VARIANTS]`
//! (variants per shape and colour, default 3).

#[path = "../tests/image_grid/mod.rs"]
mod image_grid;

fn main() {
    let variants = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let started = std::time::Instant::now();
    let evaluation = image_grid::evaluate(&image_grid::cases(variants, 0));
    println!("{}", evaluation.table());
    println!(
        "{:.1} ms per image (render, encode, decode, analyse)",
        started.elapsed().as_secs_f64() * 1000.0 / evaluation.images.max(1) as f64
    );
}
