//! Stages the demo storefront (`web/demo/dist`, built by `web/`) for embedding in the
//! binary (`src/storefront.rs`): copied to `$OUT_DIR/storefront`, or a one-page placeholder
//! when it has not been built, so the CLI compiles either way. Cargo re-runs this (and so
//! re-embeds) whenever a file of the storefront changes.

use std::path::Path;

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

const PLACEHOLDER: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Framewise demo</title></head><body><main><h1>Framewise demo</h1>\
<p>storefront not built: run <code>npm run build</code> in <code>web/</code>, then rebuild \
the <code>framewise</code> binary. The API is served under <code>/v1/</code>.</p></main>\
</body></html>\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let web = Path::new(&manifest).join("../web/demo");
    let dist = web.join("dist");
    let staged = Path::new(&std::env::var("OUT_DIR")?).join("storefront");
    if staged.exists() {
        std::fs::remove_dir_all(&staged)?;
    }
    if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed={}", dist.display());
        copy_dir(&dist, &staged)?;
    } else {
        // Watch the folder the build will create (a missing path re-runs this every
        // build, which only writes the placeholder), so building the storefront embeds it.
        let watched = if web.exists() { &web } else { &dist };
        println!("cargo:rerun-if-changed={}", watched.display());
        std::fs::create_dir_all(&staged)?;
        std::fs::write(staged.join("index.html"), PLACEHOLDER)?;
    }
    Ok(())
}
