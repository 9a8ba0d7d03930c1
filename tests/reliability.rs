//! Operating the embedded store with the real binary: what happens when the disk fills, the
//! file is damaged, the store or its key goes missing, a client is slow, and a process is
//! killed in the middle of a regeneration or a dead-letter redrive (issue 10).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use framewise::adapters::{EmbeddedStore, OpenOptions, DATABASE_FILE};
use framewise::domain::{Signal, SignalKind};
use framewise::ports::SignalQueue;
use framewise_integration_tests::{
    get_json, http_client, post_json, run_framewise, wait_for, Server,
};
use serde_json::{json, Value};

const DEMO: &[&str] = &[
    "--demo",
    "--styles",
    "120",
    "--customers",
    "150",
    "--days",
    "30",
    "--regenerate-every",
    "0",
];

fn signal(event_id: &str, customer: &str, style: &str) -> Value {
    let ts = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339();
    json!({"event_id": event_id, "customer_id": customer, "kind": "view",
           "style_id": style, "timestamp": ts})
}

/// A style of the demo catalogue.
const STYLE: &str = "st-0001";

/// Loads the demo into a fresh data directory and stops the server (SIGKILL).
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    Server::start(dir.path(), DEMO).kill();
    dir
}

/// Scribbles over the middle of the store file, where its tables' pages are.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).expect("read store");
    let middle = bytes.len() / 2;
    let end = (middle + 64 * 1024).min(bytes.len());
    for (i, byte) in bytes[middle..end].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(151).wrapping_add(17);
    }
    std::fs::write(path, &bytes).expect("write store");
}

fn serve_refuses(data_dir: &Path, extra: &[&str]) -> String {
    let args = [
        &["serve", "--addr", "127.0.0.1:0", "--regenerate-every", "0"],
        extra,
    ]
    .concat();
    let (ok, output) = run_framewise(&args, data_dir);
    assert!(!ok, "serve should refuse to start:\n{output}");
    output
}

#[test]
fn when_store_or_key_goes_missing_should_refuse_to_start_naming_file_and_recovery() {
    let dir = demo_dir();
    let data = dir.path();
    let store = data.join(DATABASE_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store)
            .expect("store")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the store holds face measurements: owner only");
    }

    let key = data.join("keys/kek.bin");
    let kept = data.join("kek.bin.kept");
    std::fs::rename(&key, &kept).expect("lose the key");
    let lost = serve_refuses(data, &[]);
    assert!(
        lost.contains("kek.bin") && lost.contains("missing"),
        "{lost}"
    );
    assert!(!key.exists(), "no new key replaces a lost one");
    std::fs::write(&key, [3u8; 32]).expect("a different key");
    let other = serve_refuses(data, &[]);
    assert!(other.contains("sealed with key"), "{other}");
    std::fs::rename(&kept, &key).expect("restore the key");

    let aside = data.join("framewise.redb.aside");
    std::fs::rename(&store, &aside).expect("lose the store");
    let vanished = serve_refuses(data, &[]);
    assert!(
        vanished.contains("--init") && vanished.contains("framewise restore"),
        "{vanished}"
    );
    std::fs::write(&store, b"").expect("an empty file");
    let empty = serve_refuses(data, &[]);
    assert!(empty.contains("missing or empty"), "{empty}");
    std::fs::rename(&aside, &store).expect("put the store back");
    let server = Server::start(data, &["--regenerate-every", "0"]);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn when_store_is_damaged_should_refuse_and_come_back_from_an_online_backup() {
    let dir = demo_dir();
    let data = dir.path();
    let server = Server::start(data, &["--regenerate-every", "0"]);
    let client = server.client();
    let before = json!({"signals": [signal("before-backup", "cu-00004", STYLE)]});
    let (status, body) = post_json(&client, &server.url("/v1/signals"), &before).await;
    assert_eq!(status, 202, "{body}");
    let drained = wait_for(Duration::from_secs(15), || {
        let (client, url) = (client.clone(), server.url("/healthz"));
        async move { (get_json(&client, &url).await.1["queue_depth"] == 0).then_some(()) }
    })
    .await;
    assert!(drained.is_some());

    // Online: the server keeps serving while the snapshot is taken.
    let backup = data.join("backup.redb");
    let started = Instant::now();
    let (ok, output) = run_framewise(
        &["backup", "--out", backup.to_str().expect("utf-8 path")],
        data,
    );
    assert!(ok, "{output}");
    eprintln!(
        "backup: {} bytes in {:.2} s",
        std::fs::metadata(&backup).expect("backup").len(),
        started.elapsed().as_secs_f64()
    );
    let after = json!({"signals": [signal("after-backup", "cu-00004", STYLE)]});
    assert_eq!(
        post_json(&client, &server.url("/v1/signals"), &after)
            .await
            .0,
        202
    );
    server.kill();

    let store = data.join(DATABASE_FILE);
    damage(&store);
    let refused = serve_refuses(data, &[]);
    assert!(refused.contains("integrity check"), "{refused}");
    let damaged = std::fs::read(&store).expect("store");
    let (ok, output) = run_framewise(&["regenerate"], data);
    assert!(!ok, "regenerate must not run on a damaged store: {output}");
    assert_eq!(
        std::fs::read(&store).expect("store"),
        damaged,
        "nothing wrote to it"
    );

    let (ok, output) = run_framewise(&["restore", backup.to_str().expect("utf-8")], data);
    assert!(ok, "{output}");
    assert!(
        output.contains("is not in it"),
        "the loss window is stated: {output}"
    );
    let server = Server::start(data, &["--regenerate-every", "0"]);
    let (status, health) = get_json(&http_client(), &server.url("/healthz")).await;
    assert_eq!(
        (status, health["status"].clone()),
        (200, json!("ok")),
        "{health}"
    );
    let admin = server.client_with(&server.token(None, &["framewise/admin"]));
    let (_, export) = get_json(&admin, &server.url("/v1/customers/cu-00004/export")).await;
    let events: Vec<&str> = export["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter_map(|s| s["event_id"].as_str())
        .collect();
    assert!(events.contains(&"before-backup"), "{events:?}");
    assert!(
        !events.contains(&"after-backup"),
        "written after the snapshot: lost, as stated"
    );
}

#[test]
fn when_client_never_finishes_its_headers_should_be_disconnected() {
    let dir = demo_dir();
    let server = Server::start(
        dir.path(),
        &["--regenerate-every", "0", "--header-timeout-secs", "1"],
    );
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .expect("partial head");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = Instant::now();
    let mut buffer = [0u8; 512];
    let closed = match stream.read(&mut buffer) {
        Ok(_) => true, // EOF or a 408 before closing
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    assert!(closed, "the server kept a half-sent request open for 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn dead_letter_fixture(data: &Path, count: usize) -> Vec<String> {
    let store = EmbeddedStore::open_with(&data.join(DATABASE_FILE), &OpenOptions::default())
        .expect("open")
        .with_max_receives(0);
    let ids: Vec<String> = (0..count).map(|i| format!("dlq-{i:04}")).collect();
    let signals: Vec<Signal> = ids
        .iter()
        .map(|id| Signal {
            event_id: id.clone(),
            customer_id: Some("cu-00005".to_string()),
            session_id: None,
            kind: SignalKind::View,
            style_id: "st-0002".to_string(),
            sku: None,
            timestamp: chrono::Utc::now() - chrono::Duration::seconds(30),
            recommendation_id: None,
            placement: None,
            context: None,
            price_cents: None,
            quantity: None,
            order_id: None,
            rating: None,
            position: None,
            comment: None,
        })
        .collect();
    store.enqueue(&signals).await.expect("enqueue");
    // max_receives 0: every receive sets the message aside.
    assert!(store.receive(count).await.expect("receive").is_empty());
    ids
}

fn kill_after(mut child: std::process::Child, after: Duration) {
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

fn spawn(args: &[&str], data: &Path) -> std::process::Child {
    std::process::Command::new(framewise_integration_tests::framewise_bin())
        .args(args)
        .env("FRAMEWISE_DATA_DIR", data)
        .env("FRAMEWISE_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn framewise")
}

#[tokio::test(flavor = "multi_thread")]
async fn when_killed_during_regenerate_or_redrive_should_restart_clean_and_apply_each_signal_once()
{
    let dir = demo_dir();
    let data: PathBuf = dir.path().to_path_buf();
    kill_after(spawn(&["regenerate"], &data), Duration::from_millis(300));

    let ids = dead_letter_fixture(&data, 400).await;
    kill_after(
        spawn(&["dlq", "redrive", "--all"], &data),
        Duration::from_millis(30),
    );

    let server = Server::start(&data, &["--regenerate-every", "0"]);
    let public = http_client();
    let (status, health) = get_json(&public, &server.url("/healthz")).await;
    assert_eq!(
        status, 200,
        "the store opened clean after the kills: {health}"
    );
    // Whatever the kill left in the dead letters is redriven next to the running server.
    let (ok, output) = run_framewise(&["dlq", "redrive", "--all"], &data);
    assert!(ok, "{output}");
    let drained = wait_for(Duration::from_secs(60), || {
        let (client, url) = (public.clone(), server.url("/healthz"));
        async move {
            let (_, h) = get_json(&client, &url).await;
            (h["queue_depth"] == 0 && h["dead_letters"] == 0).then_some(())
        }
    })
    .await;
    assert!(drained.is_some(), "every redriven signal was processed");
    let admin = server.client_with(&server.token(None, &["framewise/admin"]));
    let (_, export) = get_json(&admin, &server.url("/v1/customers/cu-00005/export")).await;
    let mut applied: Vec<String> = export["signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter_map(|s| s["event_id"].as_str())
        .filter(|id| id.starts_with("dlq-"))
        .map(str::to_string)
        .collect();
    applied.sort();
    assert_eq!(applied, ids, "each redriven signal applied exactly once");
}

/// A small filesystem that can be filled: a tmpfs (needs root). Unmounted on drop.
struct SmallDisk {
    mount: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let mount = tempfile::tempdir().ok()?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(mount.path())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { mount })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.mount.path())
            .status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn when_disk_fills_should_fail_health_then_recover_without_a_restart() {
    let Some(disk) = SmallDisk::mount(48) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let data = disk.mount.path().join("data");
    let server = Server::start(&data, DEMO);
    let client = server.client();
    let public = http_client();
    let (status, _) = get_json(&public, &server.url("/healthz")).await;
    assert_eq!(status, 200);

    // Fill the disk.
    let filler = disk.mount.path().join("filler");
    {
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 1 << 20];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
    }
    // A refused write marks the store failing until a write succeeds again. The in-process
    // worker may still commit into pages redb already holds (draining the queue frees
    // some), which rightly clears the mark; so keep writing until a refusal is still
    // reported by /healthz.
    let mut failing = None;
    for i in 0..2000 {
        let body = json!({"signals": [signal(&format!("full-{i}"), "cu-00006", "st-0003")]});
        let (status, _) = post_json(&client, &server.url("/v1/signals"), &body).await;
        if status == 503 {
            let refused_at = Instant::now();
            let (status, health) = get_json(&public, &server.url("/healthz")).await;
            if status == 503 {
                failing = Some((refused_at, status, health));
                break;
            }
        }
    }
    let (refused_at, status, health) =
        failing.expect("a write failed once the disk was full and /healthz said so");
    let reported = refused_at.elapsed();
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "failing", "{health}");
    eprintln!(
        "full disk reported by /healthz {:.3} s after the first refused write",
        reported.as_secs_f64()
    );
    let (live, _) = get_json(&public, &server.url("/livez")).await;
    assert_eq!(live, 200, "alive: a restart would not help");

    std::fs::remove_file(&filler).expect("free the disk");
    let freed = Instant::now();
    let recovered = wait_for(Duration::from_secs(30), || {
        let (client, url) = (public.clone(), server.url("/healthz"));
        async move { (get_json(&client, &url).await.0 == 200).then_some(()) }
    })
    .await;
    assert!(
        recovered.is_some(),
        "health recovers once the disk has room"
    );
    eprintln!(
        "recovered {:.3} s after the disk was freed",
        freed.elapsed().as_secs_f64()
    );
    let body = json!({"signals": [signal("after-full", "cu-00006", "st-0003")]});
    let (status, answer) = post_json(&client, &server.url("/v1/signals"), &body).await;
    assert_eq!(status, 202, "writes work again without a restart: {answer}");
}
