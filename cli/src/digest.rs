//! `framewise digest`: one shopper's email digest as an HTML file, the local counterpart of the
//! weekly AWS job (`{"step":"digest"}` of the regenerate function). The service decides and
//! renders ([`Framewise::send_digest`]); this only writes the file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::Utc;
use framewise::adapters::OpenOptions;
use framewise::error::StoreError;
use framewise::service::{DigestOutbox, DigestOutcome, EmailDigest, Framewise, ServiceConfig};

use crate::CliResult;

#[derive(clap::Args, Debug, Clone)]
pub struct DigestArgs {
    /// The shopper the digest is for.
    #[arg(long)]
    pub customer: String,
    /// Where to write the email (HTML). Not written when there is nothing new to send.
    #[arg(long)]
    pub html: PathBuf,
    #[arg(long, env = "FRAMEWISE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The shop's address the product links point to (they carry `recommendation_id` and
    /// `placement=email`).
    #[arg(
        long,
        env = "FRAMEWISE_SHOP_URL",
        default_value = "http://localhost:8080"
    )]
    pub shop_url: String,
}

/// Writes the digest to one file, atomically (a temp file renamed into place).
struct HtmlFile<'a>(&'a Path);

#[async_trait]
impl DigestOutbox for HtmlFile<'_> {
    async fn deliver(&self, digest: &EmailDigest) -> Result<(), StoreError> {
        let temp = self.0.with_extension("html.tmp");
        std::fs::write(&temp, &digest.html)?;
        std::fs::rename(&temp, self.0)?;
        Ok(())
    }
}

pub async fn run(args: DigestArgs, config: ServiceConfig, options: &OpenOptions) -> CliResult {
    let (service, _store) = crate::open_service(&args.data_dir, config, options).await?;
    let outcome = send(&service, &args).await?;
    match outcome {
        DigestOutcome::Sent {
            recommendation_id,
            style_ids,
        } => println!(
            "wrote a digest of {} frames for {} to {} (recommendation {recommendation_id})",
            style_ids.len(),
            args.customer,
            args.html.display()
        ),
        DigestOutcome::NothingNew => println!(
            "nothing new for {} since the last digest: no file written",
            args.customer
        ),
        DigestOutcome::TooSoon { last_sent_at } => println!(
            "{} was sent a digest at {last_sent_at}: the next one waits a week; no file written",
            args.customer
        ),
    }
    Ok(())
}

async fn send(
    service: &Framewise,
    args: &DigestArgs,
) -> Result<DigestOutcome, Box<dyn std::error::Error>> {
    let outbox = HtmlFile(&args.html);
    Ok(service
        .send_digest(&args.customer, &args.shop_url, &outbox, Utc::now())
        .await?)
}

#[cfg(test)]
mod tests {
    use framewise::adapters::embedded_stores_with;
    use framewise::demo::{generate, DemoConfig};
    use framewise::domain::{Customer, FaceShape, Undertone};

    use super::*;

    #[tokio::test]
    async fn when_digest_command_runs_twice_should_write_once_with_tracking_links() {
        let dir = std::env::temp_dir().join(format!(
            "fw-digest-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let options = OpenOptions::default();
        {
            let (stores, _store) = embedded_stores_with(&dir, &options).unwrap();
            let service = Framewise::open(stores, ServiceConfig::default())
                .await
                .unwrap();
            let data = generate(&DemoConfig {
                customers: 3,
                ..DemoConfig::small()
            });
            service.import_styles(&data.styles).await.unwrap();
            let mut customer = Customer::new("cu-digest");
            customer.face_shape = Some(FaceShape::Oval);
            customer.undertone = Some(Undertone::Warm);
            service.import_customers(&[customer]).await.unwrap();
        }
        let args = DigestArgs {
            customer: "cu-digest".into(),
            html: dir.join("digest.html"),
            data_dir: dir.clone(),
            shop_url: "https://shop.example.com".into(),
        };
        run(args.clone(), ServiceConfig::default(), &options)
            .await
            .unwrap();
        let html = std::fs::read_to_string(&args.html).unwrap();
        assert!(
            html.contains("https://shop.example.com/products/"),
            "{html}"
        );
        assert!(html.contains("?recommendation_id=rec-"), "{html}");
        assert!(html.contains("&amp;placement=email"), "{html}");

        // The second run right after: skipped (sent this week), no file.
        std::fs::remove_file(&args.html).unwrap();
        run(args.clone(), ServiceConfig::default(), &options)
            .await
            .unwrap();
        assert!(!args.html.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
