//! The at-rest codec of a customer, shared by every persistent store: the profile as JSON
//! with the prescription sealed (see [`crate::sealing`]).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};
use crate::sealing::Sealer;

/// A customer at rest in every persistent store: the profile as JSON with the prescription
/// only in sealed form (envelope encryption, see [`crate::sealing`]).
#[derive(Serialize, Deserialize)]
pub(crate) struct SealedCustomer {
    #[serde(flatten)]
    customer: crate::domain::Customer,
    /// Base64 of the sealed prescription JSON, bound to the customer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_prescription: Option<String>,
}

/// How a customer is kept at rest: the prescription is sealed, the rest stays JSON. Without
/// a sealer a customer with a prescription is refused: health data is never stored in clear.
pub(crate) async fn seal_customer(
    sealer: Option<&Sealer>,
    customer: &crate::domain::Customer,
) -> StoreResult<SealedCustomer> {
    let sealed_prescription = match (&customer.prescription, sealer) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(StoreError::Backend(format!(
                "customer {}: no encryption key to seal the prescription",
                customer.id
            )));
        }
        (Some(rx), Some(sealer)) => Some(
            sealer
                .seal_prescription(&customer.id, rx)
                .await
                .map(|bytes| STANDARD.encode(bytes))
                .map_err(|e| {
                    StoreError::Backend(format!("sealing customer {}: {e}", customer.id))
                })?,
        ),
    };
    Ok(SealedCustomer {
        customer: crate::domain::Customer {
            prescription: None,
            ..customer.clone()
        },
        sealed_prescription,
    })
}

/// Inverse of [`seal_customer`] over the stored JSON. Errors never include the stored bytes
/// (health data). A record written before sealing existed (plaintext prescription) still
/// opens.
pub(crate) async fn open_customer(
    sealer: Option<&Sealer>,
    bytes: &[u8],
    id: &str,
) -> StoreResult<crate::domain::Customer> {
    let stored: SealedCustomer = serde_json::from_slice(bytes).map_err(|e| {
        StoreError::Corrupt(format!(
            "customer {id}: undecodable record ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let mut customer = stored.customer;
    if let Some(sealed) = stored.sealed_prescription {
        let sealer = sealer.ok_or_else(|| {
            StoreError::Backend(format!(
                "customer {id}: the prescription is sealed but no encryption key is configured"
            ))
        })?;
        let raw = STANDARD
            .decode(sealed)
            .map_err(|_| StoreError::Corrupt(format!("customer {id}: sealed prescription")))?;
        let rx = sealer
            .open_prescription(id, &raw)
            .await
            .map_err(|e| StoreError::Corrupt(format!("customer {id}: {e}")))?;
        customer.prescription = Some(rx);
    }
    Ok(customer)
}

/// Whether a stored customer record holds a prescription (sealed, or in clear from before
/// sealing existed), told without opening it: an erasure reports it even when the key is
/// unavailable. An undecodable record counts as holding none; it is deleted all the same.
/// The sealed prescription of a stored customer record, if it holds one.
pub(crate) fn sealed_prescription(bytes: &[u8]) -> Option<Vec<u8>> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        sealed_prescription: Option<String>,
    }
    let probe: Probe = serde_json::from_slice(bytes).ok()?;
    STANDARD.decode(probe.sealed_prescription?).ok()
}

pub(crate) fn holds_prescription(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        sealed_prescription: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        prescription: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes)
        .is_ok_and(|p| p.sealed_prescription.is_some() || p.prescription.is_some())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::conformance::customer_with_rx;

    fn sealer() -> Sealer {
        let key = crate::sealing::LocalKeyFile::random("k").expect("key");
        Sealer::new(Arc::new(key))
    }

    #[tokio::test]
    async fn when_customer_sealed_should_hide_prescription_and_open_back() {
        let sealer = sealer();
        let customer = customer_with_rx("cu-1");
        let json =
            serde_json::to_string(&seal_customer(Some(&sealer), &customer).await.expect("seal"))
                .expect("json");
        assert!(json.contains("sealed_prescription"), "{json}");
        assert!(
            !json.contains("-7.25") && !json.contains("\"sph\""),
            "{json}"
        );
        let opened = open_customer(Some(&sealer), json.as_bytes(), "cu-1").await;
        assert_eq!(opened.expect("open"), customer);
        let moved = open_customer(Some(&sealer), json.as_bytes(), "cu-2").await;
        assert!(
            moved.is_err(),
            "a sealed prescription is bound to its customer"
        );
    }

    #[tokio::test]
    async fn when_record_probed_should_tell_a_prescription_without_the_key() {
        let sealed = seal_customer(Some(&sealer()), &customer_with_rx("cu-1"))
            .await
            .expect("seal");
        assert!(holds_prescription(
            &serde_json::to_vec(&sealed).expect("json")
        ));
        let plain = seal_customer(None, &crate::domain::Customer::new("cu-1"))
            .await
            .expect("plain");
        assert!(!holds_prescription(
            &serde_json::to_vec(&plain).expect("json")
        ));
        let legacy = serde_json::to_vec(&customer_with_rx("cu-1")).expect("json");
        assert!(
            holds_prescription(&legacy),
            "written before sealing existed"
        );
        assert!(!holds_prescription(b"garbage"));
    }

    #[tokio::test]
    async fn when_no_sealer_should_refuse_prescriptions_but_keep_plain_profiles() {
        let error = seal_customer(None, &customer_with_rx("cu-1"))
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("no encryption key"), "{error}");
        let plain = crate::domain::Customer::new("cu-1");
        let sealed = seal_customer(None, &plain).await.expect("plain");
        let json = serde_json::to_vec(&sealed).expect("json");
        assert_eq!(
            open_customer(None, &json, "cu-1").await.expect("open"),
            plain
        );

        let sealed = seal_customer(Some(&sealer()), &customer_with_rx("cu-1"))
            .await
            .expect("seal");
        let json = serde_json::to_vec(&sealed).expect("json");
        assert!(open_customer(None, &json, "cu-1").await.is_err());
    }
}
