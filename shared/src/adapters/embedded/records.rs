//! The catalogue, profile and list ports of the embedded store: JSON records by id, the
//! prescription sealed at rest, lists checked against tombstones in the same transaction.

use async_trait::async_trait;
use chrono::Utc;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use super::signals::stored_tombstone;
use super::{
    decode, encode, EmbeddedStore, RedbResultExt, CUSTOMERS, LENS_PRICES, LISTS, SEALED_KEYS,
    STYLES, TOMBSTONES,
};
use crate::adapters::list_page::decode_list_page;
use crate::adapters::sealed_customer::{holds_prescription, open_customer, seal_customer};
use crate::aggregates::erasure::tombstone_key;
use crate::domain::{Customer, LensPriceList, ListPage, StoredList, Style, Subject};
use crate::error::{StoreError, StoreResult};
use crate::ports::{CatalogStore, DeletedProfile, ProfileStore, RecommendationStore};

/// Upserts JSON records by key in one transaction.
async fn put_json<T: Clone + Send + 'static>(
    store: &EmbeddedStore,
    table: TableDefinition<'static, &'static str, &'static [u8]>,
    items: &[T],
    key: fn(&T) -> &str,
    seal: fn(&T) -> StoreResult<Vec<u8>>,
) -> StoreResult<()> {
    let encoded = items
        .iter()
        .map(|item| Ok((key(item).to_string(), seal(item)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    store
        .write(move |txn| {
            let mut table = txn.open_table(table).db()?;
            for (key, bytes) in &encoded {
                table.insert(key.as_str(), bytes.as_slice()).db()?;
            }
            Ok(())
        })
        .await
}

#[async_trait]
impl CatalogStore for EmbeddedStore {
    async fn put_styles(&self, styles: &[Style]) -> StoreResult<()> {
        put_json(self, STYLES, styles, |s| &s.id, encode).await
    }

    async fn get_style(&self, id: &str) -> StoreResult<Option<Style>> {
        let txn = self.read()?;
        let table = txn.open_table(STYLES).db()?;
        let guard = table.get(id).db()?;
        guard.map(|v| decode(v.value(), "style", id)).transpose()
    }

    async fn list_styles(&self) -> StoreResult<Vec<Style>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(STYLES).db()?;
            let mut styles = Vec::new();
            for entry in table.iter().db()? {
                let (id, bytes) = entry.db()?;
                styles.push(decode(bytes.value(), "style", id.value())?);
            }
            Ok(styles)
        })
        .await
    }

    async fn put_lens_prices(&self, lists: &[LensPriceList]) -> StoreResult<()> {
        put_json(self, LENS_PRICES, lists, |l| &l.currency, encode).await
    }

    async fn lens_prices(&self, currency: &str) -> StoreResult<Option<LensPriceList>> {
        let txn = self.read()?;
        let table = txn.open_table(LENS_PRICES).db()?;
        let guard = table.get(currency).db()?;
        guard
            .map(|v| decode(v.value(), "lens price list", currency))
            .transpose()
    }
}

#[async_trait]
impl ProfileStore for EmbeddedStore {
    async fn put_customers(&self, customers: &[Customer]) -> StoreResult<()> {
        let mut encoded = Vec::with_capacity(customers.len());
        for customer in customers {
            encoded.push((
                customer.id.clone(),
                encode(&seal_customer(Some(&self.sealer), customer).await?)?,
            ));
        }
        // Which key sealed prescriptions here: a start-up with another key refuses to serve.
        let sealed_with = customers
            .iter()
            .any(|c| c.prescription.is_some())
            .then(|| self.sealer.key_id().to_string());
        self.write(move |txn| {
            let mut table = txn.open_table(CUSTOMERS).db()?;
            for (key, bytes) in &encoded {
                table.insert(key.as_str(), bytes.as_slice()).db()?;
            }
            if let Some(key_id) = &sealed_with {
                txn.open_table(SEALED_KEYS)
                    .db()?
                    .insert(key_id.as_str(), ())
                    .db()?;
            }
            Ok(())
        })
        .await
    }

    async fn get_customer(&self, id: &str) -> StoreResult<Option<Customer>> {
        let bytes = {
            let txn = self.read()?;
            let table = txn.open_table(CUSTOMERS).db()?;
            let guard = table.get(id).db()?;
            guard.map(|v| v.value().to_vec())
        };
        match bytes {
            Some(bytes) => Ok(Some(open_customer(Some(&self.sealer), &bytes, id).await?)),
            None => Ok(None),
        }
    }

    async fn delete_customer(&self, id: &str) -> StoreResult<Option<DeletedProfile>> {
        let id = id.to_string();
        self.write(move |txn| {
            let mut table = txn.open_table(CUSTOMERS).db()?;
            let deleted = table.remove(id.as_str()).db()?;
            Ok(deleted.map(|old| DeletedProfile {
                had_prescription: holds_prescription(old.value()),
            }))
        })
        .await
    }

    async fn list_customer_ids(&self) -> StoreResult<Vec<String>> {
        self.blocking(|db| {
            let txn = db.begin_read().db()?;
            let table = txn.open_table(CUSTOMERS).db()?;
            let mut ids = Vec::new();
            for entry in table.iter().db()? {
                ids.push(entry.db()?.0.value().to_string());
            }
            Ok(ids)
        })
        .await
    }
}

#[async_trait]
impl RecommendationStore for EmbeddedStore {
    async fn get_list(&self, customer_id: &str) -> StoreResult<Option<StoredList>> {
        let txn = self.read()?;
        let table = txn.open_table(LISTS).db()?;
        let guard = table.get(customer_id).db()?;
        guard
            .map(|v| decode(v.value(), "list", customer_id))
            .transpose()
    }

    async fn get_list_page(
        &self,
        customer_id: &str,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Option<ListPage>> {
        let txn = self.read()?;
        let table = txn.open_table(LISTS).db()?;
        let guard = table.get(customer_id).db()?;
        guard
            .map(|v| {
                decode_list_page(v.value(), offset, limit)
                    .map_err(|e| StoreError::Corrupt(format!("list {customer_id}: {e}")))
            })
            .transpose()
    }

    async fn put_lists(&self, lists: &[StoredList]) -> StoreResult<()> {
        let encoded = lists
            .iter()
            .map(|list| {
                let tombstone = tombstone_key(&Subject::Customer(list.customer_id.clone()).key());
                let bytes = encode(list)?;
                Ok((
                    list.customer_id.clone(),
                    tombstone,
                    list.generated_at,
                    bytes,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.write(move |txn| {
            let now = Utc::now();
            let tombstones = txn.open_table(TOMBSTONES).db()?;
            let mut table = txn.open_table(LISTS).db()?;
            for (customer_id, tombstone, generated_at, bytes) in &encoded {
                let refused = stored_tombstone(&tombstones, tombstone)?
                    .is_some_and(|t| t.refuses(*generated_at, now));
                if !refused {
                    table.insert(customer_id.as_str(), bytes.as_slice()).db()?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete_lists(&self, customer_id: &str) -> StoreResult<usize> {
        let customer_id = customer_id.to_string();
        self.write(move |txn| {
            let mut table = txn.open_table(LISTS).db()?;
            let deleted = table.remove(customer_id.as_str()).db()?.is_some();
            Ok(usize::from(deleted))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::conformance::customer_with_rx;

    #[tokio::test]
    async fn when_customer_record_is_corrupt_should_report_corrupt_without_contents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        store
            .write(|txn| {
                txn.open_table(CUSTOMERS)
                    .db()?
                    .insert("c1", br#"{"id":"c1","prescription":"SECRET"}"#.as_slice())
                    .db()?;
                Ok(())
            })
            .await
            .expect("inject");
        match store.get_customer("c1").await {
            Err(StoreError::Corrupt(message)) => assert!(!message.contains("SECRET"), "{message}"),
            other => panic!("expected corrupt, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn when_customer_has_prescription_should_store_it_only_sealed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        let customer = customer_with_rx("rx-1");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(std::slice::from_ref(&customer))
                .await
                .expect("put");
            assert_eq!(
                store.get_customer("rx-1").await.expect("get"),
                Some(customer.clone())
            );
        }
        let raw = std::fs::read(&path).expect("read db file");
        assert!(
            raw.windows(6).any(|w| w == b"\"rx-1\""),
            "the record itself is in the file"
        );
        for needle in [
            &b"-7.25"[..],
            b"-6.75",
            b"58.5",
            b"-1.75",
            b"\"sph\"",
            b"\"pd\"",
        ] {
            assert!(
                !raw.windows(needle.len()).any(|w| w == needle),
                "found {:?} in the raw file",
                String::from_utf8_lossy(needle)
            );
        }
        // Reopening reads the same key file.
        let store = EmbeddedStore::open(&path).expect("reopen");
        assert_eq!(
            store.get_customer("rx-1").await.expect("get"),
            Some(customer)
        );
    }

    #[tokio::test]
    async fn when_key_file_replaced_should_refuse_to_open_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("framewise.redb");
        {
            let store = EmbeddedStore::open(&path).expect("open");
            store
                .put_customers(&[customer_with_rx("rx-1")])
                .await
                .expect("put");
        }
        let key = crate::sealing::LocalKeyFile::default_path(dir.path());
        std::fs::write(&key, [7u8; 32]).expect("replace key");
        // Refused before serving, not one 503 per shopper later (see `startup`).
        assert!(matches!(
            EmbeddedStore::open(&path),
            Err(StoreError::Backend(m)) if m.contains("sealed with key")
        ));
    }

    #[tokio::test]
    async fn when_customer_deleted_should_delete_prescription_and_never_debug_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EmbeddedStore::open(&dir.path().join("framewise.redb")).expect("open");
        let customer = customer_with_rx("rx-1");
        let debug = format!("{customer:?}");
        assert!(debug.contains("<redacted>"));
        assert!(
            !debug.contains("7.25") && !debug.contains("58.5"),
            "{debug}"
        );
        store.put_customers(&[customer]).await.expect("put");
        let deleted = store.delete_customer("rx-1").await.expect("delete");
        assert_eq!(deleted.map(|d| d.had_prescription), Some(true));
        assert_eq!(store.get_customer("rx-1").await.expect("get"), None);
    }
}
