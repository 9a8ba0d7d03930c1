//! Live catalogue deltas from the catalogue events queue (SQS, fed directly or by the
//! EventBridge rule): each message is one delta, raw or in an EventBridge envelope
//! (`framewise::domain::catalog_delta_from_message`). A batch is applied in one call; a
//! message that does not parse, or names an unknown style or SKU, is reported back alone
//! so SQS redelivers (and finally dead-letters) only it.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use framewise::domain::{catalog_delta_from_message, CatalogDelta};
use framewise::service::Framewise;

/// Applies one SQS batch of deltas; the answer lists the message ids that failed.
pub async fn handle_deltas(
    service: &Framewise,
    event: SqsEvent,
    now: DateTime<Utc>,
) -> SqsBatchResponse {
    let (decoded, mut failed) =
        framewise_lambda::decode_batch(event, "catalogue delta", |record, body| {
            // When SQS received it: the delta's time when neither it nor an envelope has one.
            let received = record
                .attributes
                .get("SentTimestamp")
                .and_then(|ms| ms.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_millis)
                .unwrap_or(now);
            catalog_delta_from_message(body, received)
        });
    if !decoded.is_empty() {
        let deltas: Vec<CatalogDelta> = decoded.iter().map(|(_, d)| d.clone()).collect();
        match service.apply_catalog_deltas(&deltas, now).await {
            Ok(report) => {
                for rejected in &report.rejected {
                    if let Some((id, delta)) = decoded.get(rejected.index) {
                        tracing::warn!(message_id = %id, style_id = %delta.style_id, error = %rejected.error, "catalogue delta refused");
                        failed.push(id.clone());
                    }
                }
                tracing::info!(
                    applied = report.applied,
                    changed = report.changed.len(),
                    lists_invalidated = report.lists_invalidated,
                    "catalogue delta batch"
                );
            }
            Err(e) => {
                // A store failure: nothing is known to be applied, so every message is retried
                // (deltas are absolute values, so applying one twice is harmless).
                tracing::error!(error = %e, "catalogue delta batch failed");
                failed.extend(decoded.into_iter().map(|(id, _)| id));
            }
        }
    }
    framewise_lambda::batch_failures(failed)
}

#[cfg(test)]
mod tests {
    use framewise::adapters::memory_stores;
    use framewise::demo::{generate, DemoConfig};
    use framewise::service::ServiceConfig;
    use serde_json::json;

    use super::*;
    use crate::CatalogEvent;

    /// An SQS event as Lambda delivers it, one record per body.
    fn sqs_event(bodies: &[String]) -> serde_json::Value {
        let records: Vec<serde_json::Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                json!({
                    "messageId": format!("m{i}"),
                    "receiptHandle": format!("r{i}"),
                    "body": body,
                    "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795773601000"},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:framewise-dev-catalog-events",
                    "awsRegion": "eu-west-1"
                })
            })
            .collect();
        json!({ "Records": records })
    }

    #[tokio::test]
    async fn when_a_batch_holds_a_bad_message_should_report_it_alone_and_apply_the_others() {
        let styles = generate(&DemoConfig {
            styles: 6,
            customers: 2,
            ..DemoConfig::small()
        })
        .styles;
        let stores = memory_stores();
        stores.catalog.put_styles(&styles).await.expect("styles");
        let service = Framewise::open(stores, ServiceConfig::default())
            .await
            .expect("service");
        let (priced, stocked) = (&styles[0], &styles[1]);
        let sku = stocked.colourways[0].variants[0].sku.clone();
        let bodies = [
            json!({"style_id": priced.id, "price_cents": 4_321}).to_string(),
            json!({"version": "0", "detail-type": "Framewise Catalog Delta",
                "source": "shop.inventory", "time": "2026-12-01T09:00:00Z",
                "detail": {"style_id": stocked.id, "sku": sku, "stock": 7}})
            .to_string(),
            json!({"style_id": "no-such-style", "active": false}).to_string(),
            "not json".to_string(),
        ];
        let CatalogEvent::Deltas(event) =
            CatalogEvent::from_payload(sqs_event(&bodies)).expect("an SQS event")
        else {
            panic!("an SQS payload is a delta batch");
        };

        let response = handle_deltas(&service, event, Utc::now()).await;

        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m3", "m2"]);
        assert_eq!(
            service
                .product(&priced.id)
                .await
                .expect("style")
                .price_cents,
            4_321
        );
        let stock = service
            .product(&stocked.id)
            .await
            .expect("style")
            .variant(&sku)
            .map(|(_, v)| v.stock);
        assert_eq!(stock, Some(7));
    }

    #[test]
    fn when_the_payload_is_an_s3_notification_should_be_a_feed() {
        let s3: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/s3-feed-created.json"))
                .expect("fixture");
        assert!(matches!(
            CatalogEvent::from_payload(s3),
            Ok(CatalogEvent::Feed(_))
        ));
    }
}
