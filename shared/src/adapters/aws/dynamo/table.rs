//! The table itself: created on demand (for tests and local development; production
//! tables come from the SAM template) with the `pk`/`sk` string keys and TTL.

use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use super::item::EXPIRES_AT;
use super::keys::{PK, SK};
use crate::adapters::aws::sdk_error;
use crate::error::StoreResult;

/// Creates the table (on-demand, `pk`/`sk`) if missing, waits until it is active and turns
/// TTL on `expires_at` on.
pub(in crate::adapters::aws) async fn create_table(
    client: &Client,
    table: &str,
) -> StoreResult<()> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| sdk_error("DynamoDB AttributeDefinition", e))
    };
    let key_part = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| sdk_error("DynamoDB KeySchemaElement", e))
    };
    let created = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(PK)?)
        .attribute_definitions(attribute(SK)?)
        .key_schema(key_part(PK, KeyType::Hash)?)
        .key_schema(key_part(SK, KeyType::Range)?)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => return Err(sdk_error("DynamoDB CreateTable", e)),
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(StdDuration::from_secs(120))
        .await
        .map_err(|e| sdk_error("DynamoDB waiting for table", e))?;
    let ttl = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error("DynamoDB DescribeTimeToLive", e))?;
    let enabled = ttl
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .is_some_and(|s| matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling));
    if !enabled {
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()
                    .map_err(|e| sdk_error("DynamoDB TimeToLiveSpecification", e))?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("DynamoDB UpdateTimeToLive", e))?;
    }
    Ok(())
}
