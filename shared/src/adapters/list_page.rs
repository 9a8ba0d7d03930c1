//! Paged reads of a stored recommendation list: the hot API path decodes only the
//! requested window of a list stored as one JSON document (redb and DynamoDB).

/// Decodes one page of a JSON-encoded `StoredList`: the header and only the requested items.
/// The other items are skipped as raw JSON, so serving 12 of 100 stays cheap.
pub(crate) fn decode_list_page(
    bytes: &[u8],
    offset: usize,
    limit: usize,
) -> Result<crate::domain::ListPage, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct ListView<'a> {
        recommendation_id: String,
        customer_id: String,
        model_version: String,
        generated_at: chrono::DateTime<chrono::Utc>,
        source: crate::domain::ListSource,
        #[serde(borrow)]
        items: Vec<&'a serde_json::value::RawValue>,
    }
    let view: ListView<'_> = serde_json::from_slice(bytes)?;
    let items = view
        .items
        .iter()
        .skip(offset)
        .take(limit)
        .map(|raw| serde_json::from_str(raw.get()))
        .collect::<Result<_, _>>()?;
    Ok(crate::domain::ListPage {
        recommendation_id: view.recommendation_id,
        customer_id: view.customer_id,
        model_version: view.model_version,
        generated_at: view.generated_at,
        source: view.source,
        total: view.items.len(),
        offset,
        items,
    })
}
