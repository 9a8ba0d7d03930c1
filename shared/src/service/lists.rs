//! Serving lists: the shopper's page (precomputed when fresh, computed now otherwise) and
//! how a list is computed and stored (the product's own lists are in [`super::product_lists`]).
//! This is the file that answers "where is the list computed".

use chrono::{DateTime, Utc};

use super::cursor::{decode_cursor, encode_cursor};
use super::measurement::{Arm, DEFAULT_PLACEMENT};
use super::segment_serving;
use super::{not_found, Framewise};
use crate::domain::{
    validate_id, Context, Customer, ListPage, ListSource, Prescription, RecommendationPage,
    RecommendedItem, ScoredItem, Signal, StoredList, Style, Subject,
};
use crate::engine::{Engine, RecommendRequest, MAX_LIST_SIZE};
use crate::error::{ServiceError, StoreError, ValidationErrors};
use crate::optics::frame::FrameRulesConfig;
use crate::optics::lens::{recommend_lens, LensRequest};

/// Query of `GET /v1/customers/{id}/recommendations`.
#[derive(Debug, Clone, Default)]
pub struct RecommendationQuery {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub placement: Option<String>,
    /// An anonymous session whose signals seed the list of an unknown customer.
    pub session_id: Option<String>,
    /// The shopper's moment (occasion, place, time, weather): re-ranks the list on read.
    pub context: Context,
    /// The shopper's device class, for the segment list of a shopper without history.
    pub device: Option<crate::domain::DeviceClass>,
}

impl Framewise {
    /// A page of the customer's list: the precomputed one when fresh, else computed now.
    /// Items carry lens advice when the customer has a prescription. The customer is read
    /// once, alongside the list, and serves both a stale list's recompute and lens advice.
    /// Priced from the catalogue; `Framewise::recommendations` (`live_prices.rs`) reprices.
    pub(super) async fn unpriced_recommendations(
        &self,
        customer_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        let limit = self.check_limit(query.limit)?;
        if let Some(placement) = &query.placement {
            validate_id(placement).map_err(|m| ValidationErrors::single("placement", m))?;
        }
        if let Some(session) = &query.session_id {
            validate_id(session).map_err(|m| ValidationErrors::single("session_id", m))?;
        }
        self.check_context(&query.context)?;
        let engine = self.engine();
        let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let offset = cursor.as_ref().map_or(0, |(_, offset)| *offset);
        let subject = Subject::Customer(customer_id.to_string());
        let placement = query.placement.as_deref().unwrap_or(DEFAULT_PLACEMENT);
        if let Some(arm) = self.arm(placement, &subject.key(), now).await {
            let customer = self.stores.profiles.get_customer(customer_id).await?;
            let mut history = self.history(&subject).await?;
            if customer.is_none() && history.is_empty() {
                if let Some(session) = &query.session_id {
                    history = self.history(&Subject::Session(session.clone())).await?;
                }
            }
            let list = self
                .compute_arm_list(
                    &engine,
                    &arm,
                    customer_id,
                    customer.as_ref(),
                    &history,
                    cursor,
                    now,
                )
                .await;
            let (window, applied) = self
                .merchandised_page(
                    &engine,
                    list.page(0, MAX_LIST_SIZE),
                    &query,
                    customer.as_ref(),
                    &history,
                    (offset, limit),
                    now,
                )
                .await;
            let lens = LensAdvisor::for_customer(customer.as_ref(), &self.config.optics);
            let mut page = page(&engine, window, query.placement, lens.as_ref());
            page.context = applied;
            page.experiment_id = Some(arm.experiment_id.clone());
            page.variant = Some(arm.variant.clone());
            self.record_exposure(&page, &subject, offset, Some(&arm), now)
                .await;
            return Ok(page);
        }
        // A context and merchandising rules re-rank the whole list, so the whole list is
        // read; without them only the requested window is decoded.
        let whole = !query.context.is_empty() || !self.merchandising_rules().await.no_list_rules();
        let (read_offset, read_limit) = if !whole {
            (offset, limit)
        } else {
            (0, MAX_LIST_SIZE)
        };
        let (stored, customer) = tokio::try_join!(
            self.stores
                .lists
                .get_list_page(customer_id, read_offset, read_limit),
            self.stores.profiles.get_customer(customer_id),
        )?;
        let lens = LensAdvisor::for_customer(customer.as_ref(), &self.config.optics);

        // A cursor pages through the list it was made for; a first page takes the stored
        // list while it is fresh.
        let current = match &cursor {
            // A segment list's cursor: served (or refused) below, once history is read.
            Some((id, _)) if stored.is_none() && segment_serving::is_segment_list(id) => None,
            Some((id, _)) => Some(
                stored
                    .filter(|l| l.recommendation_id == *id)
                    .ok_or_else(segment_serving::replaced_cursor)?,
            ),
            None => stored.filter(|l| {
                now.signed_duration_since(l.generated_at).num_seconds()
                    < self.config.list_max_age_secs
            }),
        };
        if let Some(list) = current {
            let (list, applied) = self
                .merchandised_page(
                    &engine,
                    list,
                    &query,
                    customer.as_ref(),
                    &[],
                    (offset, limit),
                    now,
                )
                .await;
            let mut page = page(&engine, list, query.placement, lens.as_ref());
            page.context = applied;
            self.record_exposure(&page, &subject, offset, None, now)
                .await;
            return Ok(page);
        }

        let mut history = self.history(&subject).await?;
        let known = customer.is_some() || !history.is_empty();
        if !known {
            if let Some(session) = &query.session_id {
                history = self.history(&Subject::Session(session.clone())).await?;
            }
        }
        let unknown = !known && history.is_empty();
        if let Some(page) = self.segment_page(&subject, unknown, &query, now).await? {
            return Ok(page);
        }
        let source = if known {
            ListSource::Realtime
        } else {
            ListSource::ColdStart
        };
        let list = self
            .compute_list(
                &engine,
                customer_id,
                customer.as_ref(),
                &history,
                now,
                source,
            )
            .await;
        // Lists of unknown ids are not stored: random ids must not grow the store.
        if known {
            self.stores
                .lists
                .put_lists(std::slice::from_ref(&list))
                .await?;
        }
        let (window, applied) = self
            .merchandised_page(
                &engine,
                list.page(0, MAX_LIST_SIZE),
                &query,
                customer.as_ref(),
                &history,
                (0, limit),
                now,
            )
            .await;
        let mut page = page(&engine, window, query.placement, lens.as_ref());
        page.context = applied;
        self.record_exposure(&page, &subject, 0, None, now).await;
        Ok(page)
    }

    /// A page for an anonymous session (`GET /v1/sessions/{id}/recommendations`): computed
    /// now from the session's own signals, never stored, and never a customer's data: no
    /// profile, no customer history, no lens advice. Lists of sessions are not stored, so
    /// a cursor's offset applies to the list computed at that request. Priced from the
    /// catalogue; `Framewise::session_recommendations` (`live_prices.rs`) reprices.
    pub(super) async fn unpriced_recommendations_of_session(
        &self,
        session_id: &str,
        query: RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<RecommendationPage, ServiceError> {
        validate_id(session_id).map_err(|m| ValidationErrors::single("session_id", m))?;
        let limit = self.check_limit(query.limit)?;
        if let Some(placement) = &query.placement {
            validate_id(placement).map_err(|m| ValidationErrors::single("placement", m))?;
        }
        self.check_context(&query.context)?;
        let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let offset = cursor.as_ref().map_or(0, |(_, offset)| *offset);
        let engine = self.engine();
        let subject = Subject::Session(session_id.to_string());
        let placement = query.placement.as_deref().unwrap_or(DEFAULT_PLACEMENT);
        let arm = self.arm(placement, &subject.key(), now).await;
        let history = self.history(&subject).await?;
        let unknown = arm.is_none() && history.is_empty();
        if let Some(page) = self.segment_page(&subject, unknown, &query, now).await? {
            return Ok(page);
        }
        let list = match &arm {
            Some(arm) => {
                self.compute_arm_list(&engine, arm, "", None, &history, cursor, now)
                    .await
            }
            None => {
                let source = if history.is_empty() {
                    ListSource::ColdStart
                } else {
                    ListSource::Realtime
                };
                let mut list = self
                    .compute_list(&engine, "", None, &history, now, source)
                    .await;
                if let Some((recommendation_id, _)) = cursor {
                    list.recommendation_id = recommendation_id;
                }
                list
            }
        };
        let (window, applied) = self
            .merchandised_page(
                &engine,
                list.page(0, MAX_LIST_SIZE),
                &query,
                None,
                &history,
                (offset, limit),
                now,
            )
            .await;
        let mut page = page(&engine, window, query.placement, None);
        page.context = applied;
        page.session_id = Some(session_id.to_string());
        page.experiment_id = arm.as_ref().map(|a| a.experiment_id.clone());
        page.variant = arm.as_ref().map(|a| a.variant.clone());
        self.record_exposure(&page, &subject, offset, arm.as_ref(), now)
            .await;
        Ok(page)
    }

    pub(super) fn check_limit(&self, limit: Option<usize>) -> Result<usize, ValidationErrors> {
        let limit = limit.unwrap_or(self.config.default_limit);
        if limit == 0 || limit > self.config.max_limit {
            return Err(ValidationErrors::single(
                "limit",
                format!("must be between 1 and {}", self.config.max_limit),
            ));
        }
        Ok(limit)
    }

    pub(super) async fn history(&self, subject: &Subject) -> Result<Vec<Signal>, StoreError> {
        self.stores
            .signals
            .history(subject, self.config.history_limit)
            .await
    }

    /// The list of a shopper in an experiment: computed now with their arm's settings and
    /// never stored (see [`super::measurement`]). A later page keeps the first page's id,
    /// so actions on any page are credited to the list the shopper saw.
    #[allow(clippy::too_many_arguments)]
    async fn compute_arm_list(
        &self,
        engine: &Engine,
        arm: &Arm,
        customer_id: &str,
        customer: Option<&Customer>,
        history: &[Signal],
        cursor: Option<(String, usize)>,
        now: DateTime<Utc>,
    ) -> StoredList {
        let feeds = self.current_feeds().await;
        let request = RecommendRequest {
            customer,
            history,
            now,
            limit: self.config.engine.list_size,
            feeds: feeds.as_deref().map(|f| f.input()),
        };
        let items = self
            .recommend_merchandised(engine, &request, &arm.engine)
            .await;
        let mut list = stored_list(engine, customer_id, items, now, ListSource::Realtime);
        if let Some((recommendation_id, _)) = cursor {
            list.recommendation_id = recommendation_id;
        }
        list
    }

    async fn compute_list(
        &self,
        engine: &Engine,
        customer_id: &str,
        customer: Option<&Customer>,
        history: &[Signal],
        now: DateTime<Utc>,
        source: ListSource,
    ) -> StoredList {
        let feeds = self.current_feeds().await;
        let request = RecommendRequest {
            customer,
            history,
            now,
            limit: self.config.engine.list_size,
            feeds: feeds.as_deref().map(|f| f.input()),
        };
        let items = self
            .recommend_merchandised(engine, &request, engine.config())
            .await;
        stored_list(engine, customer_id, items, now, source)
    }

    /// Recomputes and stores the list of one customer from their current profile and
    /// history; NotFound when neither exists.
    pub async fn recompute_customer(
        &self,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredList, ServiceError> {
        let engine = self.engine();
        let list = self
            .compute_for_storage(&engine, customer_id, now)
            .await?
            .ok_or_else(|| not_found("customer", customer_id))?;
        self.stores
            .lists
            .put_lists(std::slice::from_ref(&list))
            .await?;
        Ok(list)
    }

    /// The list to precompute for a customer, from their stored profile and history; `None`
    /// when the store knows neither (never stored, or erased): like lists of unknown ids on
    /// read, it is not stored, so a late signal of an erased shopper cannot bring their id
    /// back as a list.
    pub(super) async fn compute_for_storage(
        &self,
        engine: &Engine,
        customer_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredList>, ServiceError> {
        let customer = self.stores.profiles.get_customer(customer_id).await?;
        let history = self
            .history(&Subject::Customer(customer_id.to_string()))
            .await?;
        if customer.is_none() && history.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.compute_list(
                engine,
                customer_id,
                customer.as_ref(),
                &history,
                now,
                ListSource::Precomputed,
            )
            .await,
        ))
    }

    /// Stores the recomputed `lists`, except those whose stored copy shows the same thing
    /// (same [`StoredList::fingerprint`]) and is younger than half of `list_max_age_secs`,
    /// so a skipped list still has at least half its freshness left. Retried and redriven
    /// shards, repeated runs and recomputes that change nothing then cost one stamp read
    /// (half a read unit on DynamoDB) instead of a write. Returns how many were skipped.
    pub(super) async fn store_changed_lists(
        &self,
        lists: Vec<StoredList>,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        if lists.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = lists.iter().map(|l| l.customer_id.clone()).collect();
        let stamps = self.stores.lists.list_stamps(&ids).await?;
        let keep_young = self.config.list_max_age_secs / 2;
        let (unchanged, changed): (Vec<_>, Vec<_>) = lists.into_iter().partition(|list| {
            stamps.get(&list.customer_id).is_some_and(|stored| {
                now.signed_duration_since(stored.generated_at).num_seconds() < keep_young
                    && stored.fingerprint == list.fingerprint()
            })
        });
        if !changed.is_empty() {
            self.stores.lists.put_lists(&changed).await?;
        }
        Ok(unchanged.len())
    }
}

/// A score as lists keep it: 4 decimals. The list is already ranked, so the finer digits
/// order nothing, and they are the one part of a stored list that does not compress (~100
/// of its ~1,100 bytes compressed).
fn stored_score(score: f32) -> f32 {
    (score * 1e4).round() / 1e4
}

/// Lens advice for the items of one page, for a shopper with a prescription, under the
/// configured frame rules.
pub(super) struct LensAdvisor<'a> {
    rx: &'a Prescription,
    request: LensRequest,
    rules: &'a FrameRulesConfig,
}

impl<'a> LensAdvisor<'a> {
    fn for_customer(customer: Option<&'a Customer>, rules: &'a FrameRulesConfig) -> Option<Self> {
        let customer = customer?;
        Some(Self {
            rx: customer.prescription.as_ref()?,
            request: LensRequest {
                child: customer.age_band.is_some_and(|a| a.is_child()),
                ..LensRequest::default()
            },
            rules,
        })
    }

    fn advise(&self, style: &Style, item: &mut RecommendedItem) {
        if let Some(size) = item.size.as_ref() {
            let advice = recommend_lens(self.rx, &self.request, Some((style, size)), self.rules);
            item.lens = advice.summary();
        }
    }
}

/// A freshly computed list under a new id, scores rounded as lists keep them.
pub(super) fn stored_list(
    engine: &Engine,
    customer_id: &str,
    mut items: Vec<ScoredItem>,
    now: DateTime<Utc>,
    source: ListSource,
) -> StoredList {
    for item in &mut items {
        item.score = stored_score(item.score);
    }
    StoredList {
        recommendation_id: new_recommendation_id(),
        customer_id: customer_id.to_string(),
        model_version: engine.model_version().to_string(),
        generated_at: now,
        source,
        items,
    }
}

fn new_recommendation_id() -> String {
    format!("rec-{}", uuid::Uuid::now_v7().simple())
}

/// Joins scored items with display data (and lens advice, for a shopper with a
/// prescription), skipping styles no longer sellable.
pub(super) fn hydrate(
    engine: &Engine,
    items: Vec<ScoredItem>,
    lens: Option<&LensAdvisor<'_>>,
) -> Vec<RecommendedItem> {
    items
        .into_iter()
        .filter_map(|item| {
            let style = engine.style(&item.style_id)?;
            if !style.is_available() {
                return None;
            }
            let mut item = RecommendedItem::from_style(style, item);
            if let Some(lens) = lens {
                lens.advise(style, &mut item);
            }
            Some(item)
        })
        .collect()
}

pub(super) fn page(
    engine: &Engine,
    list: ListPage,
    placement: Option<String>,
    lens: Option<&LensAdvisor<'_>>,
) -> RecommendationPage {
    let end = list.offset + list.items.len();
    let next_cursor = (end < list.total).then(|| encode_cursor(&list.recommendation_id, end));
    RecommendationPage {
        recommendation_id: list.recommendation_id,
        customer_id: list.customer_id,
        model_version: list.model_version,
        generated_at: list.generated_at,
        source: list.source,
        placement,
        session_id: None,
        experiment_id: None,
        variant: None,
        items: hydrate(engine, list.items, lens),
        next_cursor,
        context: None,
        segment: None,
    }
}
