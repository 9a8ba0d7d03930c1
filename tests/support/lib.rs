//! Test harness: builds and starts `framewise serve` on an ephemeral port and talks HTTP.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod apigw;
pub mod gateway;
pub mod moto;

/// A JSON/text fixture from `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Feed objects from a map instead of S3, for catalog-sync's handler.
pub struct FeedMap(pub std::collections::HashMap<String, Vec<u8>>);

#[async_trait::async_trait]
impl catalog_sync::FeedObjects for FeedMap {
    async fn get(&self, key: &str) -> framewise::error::StoreResult<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
}

/// Puts a generated demo shop into `stores`: its styles, customers and their signals.
pub async fn seed_demo(stores: &framewise::ports::Stores, config: &framewise::demo::DemoConfig) {
    let data = framewise::demo::generate(config);
    stores
        .catalog
        .put_styles(&data.styles)
        .await
        .expect("styles");
    stores
        .profiles
        .put_customers(&data.customers)
        .await
        .expect("customers");
    stores
        .signals
        .apply(&framewise::import::interactions_to_signals(
            &data.interactions,
        ))
        .await
        .expect("signals");
}

/// Path of the `framewise` binary, built once per test process with the same cargo.
pub fn framewise_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "-p",
                "framewise-cli",
                "--bin",
                "framewise",
            ])
            .current_dir(&root)
            .status()
            .expect("cargo build of the framewise binary could not start");
        assert!(status.success(), "building the framewise binary failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        target.join("debug").join("framewise")
    })
}

/// A running `framewise serve`; killed (SIGKILL) on drop.
pub struct Server {
    child: Child,
    pub base: String,
    data_dir: PathBuf,
}

impl Server {
    /// Starts the server with `args` (after `serve --addr 127.0.0.1:0 --data-dir DIR`) and
    /// waits until it prints its address.
    pub fn start(data_dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(framewise_bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("FRAMEWISE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("framewise serve did not start");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("framewise listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(300))
            .expect("framewise serve did not print its address within 300 s");
        Server {
            child,
            base,
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A development token signed with the server's secret (`framewise token` does the same).
    pub fn token(&self, customer: Option<&str>, scopes: &[&str]) -> String {
        let secret = std::fs::read(self.data_dir.join("keys").join("dev-token.secret"))
            .expect("serve writes its development token secret before listening");
        framewise::auth::DevTokenIssuer::new(secret)
            .mint(
                customer,
                scopes,
                3600,
                chrono::Utc::now(),
                &framewise::auth::AuthConfig::default(),
            )
            .expect("token")
    }

    /// A client that sends `token` with every request.
    pub fn client_with(&self, token: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
            .expect("a token is a valid header value");
        headers.insert(reqwest::header::AUTHORIZATION, value);
        http_client_builder()
            .default_headers(headers)
            .build()
            .expect("client")
    }

    /// A client acting as the shop's backend (the service scope: lists and signals of any
    /// shopper), as most tests need.
    pub fn client(&self) -> reqwest::Client {
        self.client_with(&self.token(None, &["framewise/service"]))
    }

    /// SIGKILL: no graceful shutdown, no flushing.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// reqwest's rustls backend is built without a bundled crypto provider (the CLI installs
/// aws-lc-rs, already linked for the AWS SDKs); clients built here install it first.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
}

/// An HTTP client without credentials (public routes, or to see a 401).
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("client")
}

pub async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let response = client.get(url).send().await.expect("GET failed");
    let status = response.status().as_u16();
    (status, response.json().await.expect("GET body is not JSON"))
}

pub async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .json(body)
        .send()
        .await
        .expect("POST failed");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.expect("POST body is not JSON"),
    )
}

/// Polls `check` every 50 ms until it returns Some or `timeout` passes.
pub async fn wait_for<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Some(v) = check().await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Runs `framewise ARGS` to completion (a CLI command, or a `serve` expected to refuse to
/// start) and returns its exit status and stderr.
pub fn run_framewise(args: &[&str], data_dir: &Path) -> (bool, String) {
    let output = Command::new(framewise_bin())
        .args(args)
        .env("FRAMEWISE_DATA_DIR", data_dir)
        .env("FRAMEWISE_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("framewise did not run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
