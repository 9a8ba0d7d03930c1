//! The DynamoDB, KMS, SQS and S3 adapters over the real AWS protocols, against moto server:
//! the shared port conformance suite plus AWS-specific behaviour (paging, batching, size
//! limits, redelivery across workers, prescriptions sealed with KMS). Fails, never skips,
//! when moto is missing.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{TimeZone, Utc};
use framewise::adapters::aws::{
    aws_stores, kms_sealer, signal_from_sqs_body, AwsClients, AwsSettings, DynamoStore,
    S3ArtifactStore, SqsSignalQueue, KMS_KEY_REQUIRED,
};
use framewise::adapters::conformance::{customer_with_rx, Harness, QueueSemantics, MAX_RECEIVES};
use framewise::domain::*;
use framewise::ports::{CatalogStore, SignalQueue, SignalStore, Stores};
use framewise_integration_tests::moto::Moto;

/// Trend feeds and influencer collections read from the bucket.
#[path = "aws_adapters/feeds.rs"]
mod feeds;
/// The measurement port's DynamoDB-specific behaviour (sharded cells, TTL, range limits).
#[path = "aws_adapters/measurements.rs"]
mod measurements;

/// AWS stores over fresh moto resources, with the dead-letter queue and the raw table for
/// inspection.
struct AwsHarness {
    stores: Stores,
    dead_letters: SqsSignalQueue,
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
}

#[async_trait]
impl Harness for AwsHarness {
    fn stores(&self) -> &Stores {
        &self.stores
    }

    async fn dead_letters(&self) -> Vec<Signal> {
        self.dead_letters
            .receive(10)
            .await
            .expect("receive from the dead-letter queue")
            .into_iter()
            .map(|m| m.signal)
            .collect()
    }

    fn queue_semantics(&self) -> QueueSemantics {
        QueueSemantics::Sqs
    }

    fn pair_cap(&self) -> usize {
        PAIR_CAP
    }

    /// Every item of the table, read with Scan (the adapters never Scan; a test may), one
    /// line each with its attributes as stored.
    async fn raw_records(&self) -> Vec<String> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("raw Scan");
            records.extend(page.items().iter().map(|item| format!("{item:?}")));
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => return records,
            }
        }
    }
}

/// A small pairing cap: moto copies the table on every write, so the production cap of 200
/// would make the cap scenario take minutes while testing the same code path.
const PAIR_CAP: usize = 12;

async fn fresh(label: &str) -> (AwsSettings, AwsClients) {
    Moto::shared().fresh(label, MAX_RECEIVES).await
}

async fn harness(label: &str) -> AwsHarness {
    let (settings, clients) = fresh(label).await;
    let key_id = settings.kms_key_id.as_deref().expect("moto KMS key");
    let dynamo = Arc::new(
        DynamoStore::new(clients.dynamodb.clone(), settings.table.clone())
            .with_pair_cap(PAIR_CAP)
            .with_sealer(kms_sealer(&clients, key_id)),
    );
    AwsHarness {
        stores: Stores {
            catalog: dynamo.clone(),
            profiles: dynamo.clone(),
            lists: dynamo.clone(),
            signals: dynamo.clone(),
            measurements: dynamo,
            ..aws_stores(&clients, &settings)
        },
        dead_letters: SqsSignalQueue::new(
            clients.sqs.clone(),
            format!("{}-dlq", settings.queue_url),
        ),
        dynamodb: clients.dynamodb.clone(),
        table: settings.table.clone(),
    }
}

/// Every conformance scenario on fresh moto resources, from the suite's one list.
mod conformance_on_aws {
    framewise::conformance_tests!(super::harness("conf"));
}

fn click(event_id: &str, customer: &str, style: &str) -> Signal {
    Signal {
        event_id: event_id.to_string(),
        customer_id: Some(customer.to_string()),
        session_id: None,
        kind: SignalKind::Click,
        style_id: style.to_string(),
        sku: None,
        timestamp: Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .expect("valid time"),
        recommendation_id: None,
        placement: None,
        context: None,
        price_cents: None,
        quantity: None,
        order_id: None,
        rating: None,
        position: None,
        comment: None,
    }
}

fn style(id: &str) -> Style {
    Style {
        id: id.to_string(),
        name: format!("Frame {id}"),
        brand: "Acme".to_string(),
        category: Category::Optical,
        shape: Shape::Round,
        rim: RimType::Full,
        material: Material::Acetate,
        price_cents: 12_000,
        currency: "USD".to_string(),
        active: true,
        tags: vec!["classic".to_string()],
        launch_date: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date"),
        image_url: "https://example.com/a.jpg".to_string(),
        sizes: Vec::new(),
        colourways: Vec::new(),
    }
}

#[tokio::test]
async fn when_catalog_spans_pages_should_list_every_style_in_id_order() {
    let (settings, clients) = fresh("paging").await;
    let store = DynamoStore::new(clients.dynamodb.clone(), &settings.table).with_page_size(50);
    let styles: Vec<Style> = (0..120)
        .rev()
        .map(|i| style(&format!("st-{i:04}")))
        .collect();
    store.put_styles(&styles).await.expect("put 120 styles");
    let listed = store.list_styles().await.expect("list");
    assert_eq!(listed.len(), 120, "3 pages of 50 read to the end");
    let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids[0], "st-0000");
    assert_eq!(listed[119], style("st-0119"));

    let wanted: Vec<String> = (0..105)
        .map(|i| format!("st-{i:04}"))
        .chain(["nope".to_string()])
        .collect();
    let mut got = store
        .get_styles(&wanted)
        .await
        .expect("batch get over 2 calls");
    got.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(got.len(), 105, "unknown ids are left out");
    assert_eq!(got[104].id, "st-0104");
}

#[tokio::test]
async fn when_style_exceeds_item_limit_should_fail_clearly_and_write_nothing() {
    let (settings, clients) = fresh("big").await;
    let stores = aws_stores(&clients, &settings);
    let mut big = style("huge");
    big.tags = (0..50_000).map(|i| format!("tag-{i}")).collect();
    let error = stores
        .catalog
        .put_styles(&[style("small"), big])
        .await
        .expect_err("over 400 KB")
        .to_string();
    assert!(
        error.contains("STYLE#huge") && error.contains("limit"),
        "{error}"
    );
    assert!(stores.catalog.list_styles().await.expect("list").is_empty());
}

#[tokio::test]
async fn when_full_list_stored_should_serve_any_window() {
    let (settings, clients) = fresh("page").await;
    let stores = aws_stores(&clients, &settings);
    let list = StoredList {
        recommendation_id: "rec-1".to_string(),
        customer_id: "cu-1".to_string(),
        model_version: "v3".to_string(),
        generated_at: Utc::now(),
        source: ListSource::Precomputed,
        items: (0..100)
            .map(|i| ScoredItem {
                style_id: format!("st-{i:03}"),
                sku: Some(format!("st-{i:03}-blk-50")),
                score: 1.0 - i as f32 / 100.0,
                reasons: vec![Reason::new("face_shape", "Suits an oval face")],
            })
            .collect(),
    };
    stores
        .lists
        .put_lists(std::slice::from_ref(&list))
        .await
        .expect("put");
    let page = stores
        .lists
        .get_list_page("cu-1", 90, 20)
        .await
        .expect("page")
        .expect("stored");
    assert_eq!(page.total, 100);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[0].style_id, "st-090");
    assert_eq!(page, list.clone().page(90, 20));
    assert_eq!(
        stores.lists.get_list("cu-1").await.expect("get"),
        Some(list.clone())
    );

    // Stored compressed: the item is a fraction of the list's JSON (write units follow).
    let raw = |customer: &str| {
        clients
            .dynamodb
            .get_item()
            .table_name(&settings.table)
            .key("pk", AttributeValue::S(format!("CUSTOMER#{customer}")))
            .key("sk", AttributeValue::S("LIST".to_string()))
            .consistent_read(true)
            .send()
    };
    let item = raw("cu-1").await.expect("raw GetItem").item.expect("item");
    let json = serde_json::to_vec(&list).expect("json");
    let packed = item
        .get("data_z")
        .and_then(|v| v.as_b().ok())
        .expect("compressed data");
    assert!(
        packed.as_ref().len() * 5 < json.len(),
        "{} bytes compressed from {}",
        packed.as_ref().len(),
        json.len()
    );
    assert!(!item.contains_key("data"));

    // A list written before compression (plain JSON in `data`) still reads.
    let mut old = list.clone();
    old.customer_id = "cu-old".to_string();
    clients
        .dynamodb
        .put_item()
        .table_name(&settings.table)
        .item("pk", AttributeValue::S("CUSTOMER#cu-old".to_string()))
        .item("sk", AttributeValue::S("LIST".to_string()))
        .item(
            "data",
            AttributeValue::S(serde_json::to_string(&old).expect("json")),
        )
        .send()
        .await
        .expect("raw PutItem");
    assert_eq!(
        stores.lists.get_list("cu-old").await.expect("get"),
        Some(old.clone())
    );
    assert_eq!(
        stores
            .lists
            .get_list_page("cu-old", 0, 5)
            .await
            .expect("page"),
        Some(old.page(0, 5))
    );
}

#[tokio::test]
async fn when_25_signals_enqueued_should_all_arrive_once() {
    let (settings, clients) = fresh("batch").await;
    let queue = SqsSignalQueue::new(clients.sqs.clone(), &settings.queue_url);
    let signals: Vec<Signal> = (0..25)
        .map(|i| click(&format!("b{i:02}"), "cu-1", "st-1"))
        .collect();
    let outcome = queue.enqueue(&signals).await.expect("enqueue");
    assert_eq!((outcome.accepted, outcome.duplicates), (25, 0));
    assert_eq!(queue.depth().await.expect("depth"), 25);
    // The test queue redelivers at once (zero visibility timeout): ack each round.
    let mut received = Vec::new();
    for _ in 0..5 {
        let got = queue.receive(10).await.expect("receive");
        let receipts: Vec<String> = got.iter().map(|m| m.receipt.clone()).collect();
        queue.ack(&receipts).await.expect("ack");
        received.extend(got.into_iter().map(|m| m.signal));
    }
    let mut ids: Vec<&str> = received.iter().map(|s| s.event_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((ids.len(), received.len()), (25, 25), "each exactly once");
    assert!(received.contains(&signals[24]), "the body round-trips");
    assert_eq!(queue.depth().await.expect("depth"), 0);
}

#[tokio::test]
async fn when_signal_exceeds_message_limit_should_send_nothing() {
    let (settings, clients) = fresh("huge").await;
    let queue = SqsSignalQueue::new(clients.sqs.clone(), &settings.queue_url);
    let mut huge = click("h2", "cu-1", "st-1");
    huge.context = Some(SignalContext {
        device: Some("x".repeat(300 * 1024)),
        locale: None,
    });
    let error = queue
        .enqueue(&[click("h1", "cu-1", "st-1"), huge])
        .await
        .expect_err("over 256 KiB")
        .to_string();
    assert!(
        error.contains("h2") && error.contains("SQS limit"),
        "{error}"
    );
    assert_eq!(queue.depth().await.expect("depth"), 0, "all or nothing");
}

#[tokio::test]
async fn when_worker_reads_raw_message_should_decode_the_signal() {
    let (settings, clients) = fresh("raw").await;
    let queue = SqsSignalQueue::new(clients.sqs.clone(), &settings.queue_url);
    let signal = click("raw-1", "cu-9", "st-4");
    queue
        .enqueue(std::slice::from_ref(&signal))
        .await
        .expect("enqueue");
    let output = clients
        .sqs
        .receive_message()
        .queue_url(&settings.queue_url)
        .max_number_of_messages(1)
        .send()
        .await
        .expect("raw receive");
    let body = output.messages()[0].body().expect("body");
    assert_eq!(signal_from_sqs_body(body).expect("decode"), signal);
}

#[tokio::test]
async fn when_redelivered_to_another_worker_should_apply_once() {
    let (settings, clients) = fresh("redeliver").await;
    let first = DynamoStore::new(clients.dynamodb.clone(), &settings.table);
    let second = DynamoStore::new(clients.dynamodb.clone(), &settings.table);
    let batch = [click("r1", "cu-1", "A"), click("r2", "cu-1", "B")];
    assert_eq!(first.apply(&batch).await.expect("apply").len(), 2);
    assert!(second.apply(&batch).await.expect("redelivery").is_empty());
    let pairs = second.co_occurrences().await.expect("pairs");
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].subjects, 1);
    let day = batch[0].timestamp.date_naive();
    let counts = second.daily_counts(day).await.expect("counts");
    assert_eq!(
        counts
            .iter()
            .map(|c| c.count(SignalKind::Click))
            .sum::<u32>(),
        2
    );
}

#[tokio::test]
async fn when_erased_history_spans_pages_and_batches_should_delete_every_item() {
    let (settings, clients) = fresh("erase-pages").await;
    let store = DynamoStore::new(clients.dynamodb.clone(), &settings.table).with_page_size(10);
    // Views only: no engagement step, so moto runs one transaction per signal.
    let views: Vec<Signal> = (0..60)
        .map(|i| Signal {
            kind: SignalKind::View,
            ..click(&format!("v{i:02}"), "cu-many", "st-1")
        })
        .collect();
    assert_eq!(store.apply(&views).await.expect("apply").len(), 60);
    let subject = Subject::Customer("cu-many".to_string());
    assert_eq!(
        store.history(&subject, 100).await.expect("history").len(),
        60
    );
    let erased = store.erase_subject(&subject).await.expect("erase");
    assert_eq!(erased.signals, 60, "6 pages of 10, 3 delete batches of 25");
    assert!(store
        .history(&subject, 100)
        .await
        .expect("history")
        .is_empty());
    assert!(store.subjects().await.expect("subjects").is_empty());
}

#[tokio::test]
async fn when_feed_object_written_should_read_back_and_pointer_be_json() {
    let (settings, clients) = fresh("s3").await;
    let store = S3ArtifactStore::new(clients.s3.clone(), &settings.bucket);
    assert_eq!(
        store.get_object("feeds/catalog.jsonl").await.expect("get"),
        None
    );
    let feed = b"{\"id\":\"st-1\"}\n{\"id\":\"st-2\"}\n";
    store
        .put_object("feeds/catalog.jsonl", feed)
        .await
        .expect("put");
    assert_eq!(
        store
            .get_object("feeds/catalog.jsonl")
            .await
            .expect("get")
            .as_deref(),
        Some(&feed[..])
    );
    assert!(store.put_object("", b"x").await.is_err());

    let artifacts: Arc<dyn framewise::ports::ModelArtifactStore> = Arc::new(store.clone());
    artifacts.put("v7", "model.json", b"{}").await.expect("put");
    artifacts.set_current("v7").await.expect("current");
    assert_eq!(
        store
            .get_object("models/current.json")
            .await
            .expect("pointer")
            .as_deref(),
        Some(&br#"{"version":"v7"}"#[..])
    );
    assert!(
        artifacts.set_current("v8").await.is_err(),
        "no artifacts for v8"
    );
    assert_eq!(
        artifacts.current().await.expect("current").as_deref(),
        Some("v7")
    );
}

/// The profile item exactly as DynamoDB holds it, via a plain GetItem.
async fn raw_profile(clients: &AwsClients, settings: &AwsSettings, id: &str) -> Option<String> {
    clients
        .dynamodb
        .get_item()
        .table_name(&settings.table)
        .key("pk", AttributeValue::S(format!("CUSTOMER#{id}")))
        .key("sk", AttributeValue::S("PROFILE".to_string()))
        .consistent_read(true)
        .send()
        .await
        .expect("raw GetItem")
        .item
        .map(|item| format!("{item:?}"))
}

#[tokio::test]
async fn when_customer_with_prescription_stored_should_round_trip_through_kms() {
    let (settings, clients) = fresh("rx-trip").await;
    let stores = aws_stores(&clients, &settings);
    let customer = customer_with_rx("cu-rx");
    stores
        .profiles
        .put_customers(&[customer.clone(), Customer::new("cu-plain")])
        .await
        .expect("put");
    assert_eq!(
        stores.profiles.get_customer("cu-rx").await.expect("get"),
        Some(customer)
    );
    assert_eq!(
        stores.profiles.get_customer("cu-plain").await.expect("get"),
        Some(Customer::new("cu-plain"))
    );
}

#[tokio::test]
async fn when_prescription_stored_should_never_appear_in_the_raw_item() {
    let (settings, clients) = fresh("rx-raw").await;
    aws_stores(&clients, &settings)
        .profiles
        .put_customers(&[customer_with_rx("cu-rx")])
        .await
        .expect("put");
    let raw = raw_profile(&clients, &settings, "cu-rx")
        .await
        .expect("item written");
    assert!(raw.contains("sealed_prescription"), "{raw}");
    // The rest of the profile stays readable, in the escaped form the needles below use.
    assert!(raw.contains(r#"\"face_shape\":\"oval\""#), "{raw}");
    // Each needle holds a character outside base64, so the sealed blob cannot match it.
    let needles = [
        "-7.25",
        "-6.5",
        "-1.75",
        "61.5",
        r#"\"sph\""#,
        r#"\"pd\""#,
        r#"\"axis\""#,
        r#"\"prescription\""#,
    ];
    for secret in needles {
        assert!(
            !raw.contains(secret),
            "{secret} leaked into the stored item"
        );
    }
}

#[tokio::test]
async fn when_sealed_customer_read_without_key_should_fail_not_drop_the_prescription() {
    let (settings, clients) = fresh("rx-nokey-read").await;
    aws_stores(&clients, &settings)
        .profiles
        .put_customers(&[customer_with_rx("cu-rx")])
        .await
        .expect("put");
    let keyless = AwsSettings {
        kms_key_id: None,
        ..settings
    };
    let error = aws_stores(&clients, &keyless)
        .profiles
        .get_customer("cu-rx")
        .await
        .expect_err("cannot open without the key")
        .to_string();
    assert!(error.contains("no encryption key"), "{error}");
}

#[tokio::test]
async fn when_kms_key_missing_should_refuse_prescriptions_and_write_nothing() {
    let (settings, clients) = fresh("rx-nokey").await;
    let keyless = AwsSettings {
        kms_key_id: None,
        ..settings
    };
    let profiles = aws_stores(&clients, &keyless).profiles;
    let error = profiles
        .put_customers(&[Customer::new("cu-plain"), customer_with_rx("cu-rx")])
        .await
        .expect_err("prescription without a KMS key")
        .to_string();
    assert!(error.contains(KMS_KEY_REQUIRED), "{error}");
    assert!(!error.contains("-7.25"), "{error}");
    assert!(profiles.list_customer_ids().await.expect("ids").is_empty());
    for id in ["cu-plain", "cu-rx"] {
        assert_eq!(raw_profile(&clients, &keyless, id).await, None, "{id}");
    }

    profiles
        .put_customers(&[Customer::new("cu-plain")])
        .await
        .expect("customers without a prescription need no key");
    assert_eq!(
        profiles.get_customer("cu-plain").await.expect("get"),
        Some(Customer::new("cu-plain"))
    );
}

#[tokio::test]
async fn when_sealed_customer_deleted_should_remove_the_item() {
    let (settings, clients) = fresh("rx-del").await;
    let profiles = aws_stores(&clients, &settings).profiles;
    profiles
        .put_customers(&[customer_with_rx("cu-rx")])
        .await
        .expect("put");
    let deleted = profiles.delete_customer("cu-rx").await.expect("delete");
    assert_eq!(deleted.map(|d| d.had_prescription), Some(true));
    assert_eq!(profiles.get_customer("cu-rx").await.expect("get"), None);
    assert_eq!(raw_profile(&clients, &settings, "cu-rx").await, None);
    assert!(profiles.list_customer_ids().await.expect("ids").is_empty());
    assert_eq!(
        profiles.delete_customer("cu-rx").await.expect("again"),
        None
    );
}

#[tokio::test]
async fn when_resources_created_twice_should_succeed() {
    let moto = Moto::shared();
    let settings = moto.unique_settings("idem");
    let clients = AwsClients::with_static_credentials(&settings.endpoint(), "test", "test").await;
    framewise::adapters::aws::create_resources(&clients, &settings)
        .await
        .expect("create");
    framewise::adapters::aws::create_resources(&clients, &settings)
        .await
        .expect("create again");
}

/// Every `.rs` file under `dir`, recursively, with its text.
fn rust_sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read adapter dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            out.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push((path, text));
        }
    }
    out
}

#[test]
fn when_adapters_read_dynamodb_should_never_scan() {
    // Every file of the AWS adapters, so a new one cannot slip past.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/src/adapters/aws");
    let sources = rust_sources(&root);
    for file in [
        "mod.rs",
        "dynamo/mod.rs",
        "dynamo/keys.rs",
        "dynamo/apply.rs",
        "sqs.rs",
    ] {
        assert!(
            sources.iter().any(|(path, _)| path.ends_with(file)),
            "{file} not found under {}",
            root.display()
        );
    }
    for (_, source) in sources {
        assert!(!source.contains(".scan("), "a DynamoDB Scan crept in");
        assert!(!source.contains("ScanInput"), "a DynamoDB Scan crept in");
    }
}
