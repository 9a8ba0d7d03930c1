//! moto server harness: one emulator of DynamoDB, KMS, SQS and S3 per test process, on a free
//! loopback port, with fresh resource names per test and static test credentials.
//!
//! moto runs under a tiny Python wrapper that exits when its stdin closes, so the server
//! also stops when the test process ends without running destructors (a `static`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use framewise::adapters::aws::{
    create_kms_key, create_resources_with, AwsClients, AwsSettings, ResourceOptions,
};

/// How to install moto, printed whenever it is missing.
pub const INSTALL_HINT: &str = "moto server is required: pip install 'moto[server]'";

/// Account id moto uses in queue URLs.
const MOTO_ACCOUNT: &str = "123456789012";

/// Runs moto's server and exits as soon as stdin reaches EOF (the parent went away).
const WRAPPER: &str = r#"
import os, sys, threading
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"#;

/// A running moto server; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
}

impl Moto {
    /// The process-wide server, started on first use.
    pub fn shared() -> &'static Moto {
        static MOTO: OnceLock<Moto> = OnceLock::new();
        MOTO.get_or_init(Moto::start)
    }

    /// Starts a new server and waits (20 s at most) until it answers. Panics with
    /// [`INSTALL_HINT`] if moto is not installed: the AWS tests never skip silently.
    pub fn start() -> Moto {
        Self::start_with_env(&[])
    }

    /// [`Moto::start`] with extra environment variables for the server process (for example
    /// `MOTO_PORT`, where its Step Functions interpreter sends the AWS calls of a task).
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let python = std::env::var("FRAMEWISE_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let probe = Command::new(&python)
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            probe.is_ok_and(|s| s.success()),
            "{INSTALL_HINT} (`{python} -c 'import moto.server'` failed)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("no free loopback port")
            .port();
        let mut child = Command::new(&python)
            .args(["-c", WRAPPER, "-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL_HINT}: could not start {python}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !answers(port) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto server exited with {status} before it was ready; {INSTALL_HINT}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("moto server did not answer on port {port} within 20 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Settings naming a table, queue and bucket no other test uses.
    pub fn unique_settings(&self, label: &str) -> AwsSettings {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("fw-{label}-{}-{n}", std::process::id()).to_lowercase();
        AwsSettings {
            table: name.clone(),
            queue_url: format!("{}/{MOTO_ACCOUNT}/{name}", self.endpoint),
            bucket: name,
            region: "us-east-1".to_string(),
            endpoint_url: Some(self.endpoint.clone()),
            kms_key_id: None,
        }
    }

    /// Fresh resources for one test: clients with static credentials, table, bucket, a
    /// queue whose messages are visible again at once and dead-lettered after
    /// `max_receives` receives, and a KMS key (`kms_key_id`) sealing prescriptions.
    pub async fn fresh(&self, label: &str, max_receives: u32) -> (AwsSettings, AwsClients) {
        let mut settings = self.unique_settings(label);
        let clients =
            AwsClients::with_static_credentials(&settings.endpoint(), "test", "test").await;
        create_resources_with(
            &clients,
            &settings,
            &ResourceOptions {
                visibility_timeout_secs: 0,
                max_receives,
            },
        )
        .await
        .expect("creating AWS resources on moto");
        settings.kms_key_id = Some(
            create_kms_key(&clients)
                .await
                .expect("creating a KMS key on moto"),
        );
        (settings, clients)
    }
}

/// Whether `GET /moto-api/` gets an HTTP answer.
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
