//! Serving segment lists: a shopper the store knows nothing about (no profile, no history,
//! no session history) gets the stored, fresh list of the narrowest segment that matches
//! them, re-ranked by their context like any list; without one, the caller computes cold
//! start as before.

use chrono::{DateTime, Utc};

use super::cursor::decode_cursor;
use super::lists::{page, RecommendationQuery};
use super::Framewise;
use crate::domain::{
    Context, DeviceClass, ListPage, RecommendationPage, Season, SegmentKey, Subject,
};
use crate::engine::MAX_LIST_SIZE;
use crate::error::{ServiceError, ValidationErrors};

/// How a segment list's recommendation id starts (customers' lists start `rec-` + hex).
pub(super) const SEGMENT_LIST_PREFIX: &str = "rec-seg-";

/// Whether a list (by its recommendation id, as a cursor carries it) is a segment's.
pub(super) fn is_segment_list(recommendation_id: &str) -> bool {
    recommendation_id.starts_with(SEGMENT_LIST_PREFIX)
}

/// A cursor into a list that is no longer the one served.
pub(super) fn replaced_cursor() -> ValidationErrors {
    ValidationErrors::single(
        "cursor",
        "the list this cursor points into was replaced; request the first page again",
    )
}

/// The segments to try for a shopper, narrowest first: country x device, country x any,
/// any x device (in the season of the shopper's hemisphere), then the occasion they asked
/// for. At most four.
pub(crate) fn ladder(
    context: &Context,
    device: Option<DeviceClass>,
    season: Season,
) -> Vec<SegmentKey> {
    let audience = |country: Option<&String>, device: Option<DeviceClass>| SegmentKey::Audience {
        country: country.cloned(),
        device,
        season,
    };
    let mut keys = Vec::with_capacity(4);
    if let Some(country) = &context.country {
        if device.is_some() {
            keys.push(audience(Some(country), device));
        }
        keys.push(audience(Some(country), None));
    }
    if device.is_some() {
        keys.push(audience(None, device));
    }
    if let Some(occasion) = &context.occasion {
        keys.push(SegmentKey::Occasion(occasion.clone()));
    }
    keys
}

impl Framewise {
    /// The page of a segment list for `subject`, when `unknown` (the caller found no
    /// profile and no history) and a fresh segment list matches; `None` sends the caller on
    /// to cold start. A cursor into a segment list pages through that list while it is the
    /// one stored, and is refused once it was replaced (or the shopper became known), like a
    /// cursor into a shopper's own list; any other cursor is left to the caller.
    pub(super) async fn segment_page(
        &self,
        subject: &Subject,
        unknown: bool,
        query: &RecommendationQuery,
        now: DateTime<Utc>,
    ) -> Result<Option<RecommendationPage>, ServiceError> {
        let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let into_segment = cursor.as_ref().filter(|(id, _)| is_segment_list(id));
        if cursor.is_some() && into_segment.is_none() {
            return Ok(None);
        }
        if !unknown {
            return match into_segment {
                Some(_) => Err(replaced_cursor().into()),
                None => Ok(None),
            };
        }
        let limit = self.check_limit(query.limit)?;
        let Some((key, list)) = self
            .matching_segment(&query.context, query.device, now)
            .await?
        else {
            return match into_segment {
                Some(_) => Err(replaced_cursor().into()),
                None => Ok(None),
            };
        };
        let offset = match into_segment {
            Some((id, offset)) if *id == list.recommendation_id => *offset,
            Some(_) => return Err(replaced_cursor().into()),
            None => 0,
        };
        let engine = self.engine();
        // Merchandising applies to segment lists like to any other (pins, caps, exclusions).
        let (window, applied) = self
            .merchandised_page(&engine, list, query, None, &[], (offset, limit), now)
            .await;
        let mut page = page(&engine, window, query.placement.clone(), None);
        page.context = applied;
        page.segment = Some(key.to_string());
        match subject {
            Subject::Customer(id) => page.customer_id = id.clone(),
            Subject::Session(id) => {
                page.customer_id = String::new();
                page.session_id = Some(id.clone());
            }
        }
        self.record_exposure(&page, subject, offset, None, now)
            .await;
        Ok(Some(page))
    }

    /// The whole stored list of the narrowest segment of the ladder that has a fresh one.
    /// The rungs are read at once (one store read each, at most four).
    async fn matching_segment(
        &self,
        context: &Context,
        device: Option<DeviceClass>,
        now: DateTime<Utc>,
    ) -> Result<Option<(SegmentKey, ListPage)>, ServiceError> {
        let hemisphere = self
            .config
            .context
            .hemisphere(context)
            .unwrap_or(self.config.engine.hemisphere);
        let keys = ladder(context, device, Season::at(now, hemisphere));
        let read = |rung: usize| {
            let id = keys.get(rung).map(SegmentKey::stored_id);
            async move {
                match id {
                    Some(id) => self.stores.lists.get_list_page(&id, 0, MAX_LIST_SIZE).await,
                    None => Ok(None),
                }
            }
        };
        let (first, second, third, fourth) = tokio::try_join!(read(0), read(1), read(2), read(3))?;
        let max_age = self.config.list_max_age_secs;
        Ok(keys
            .into_iter()
            .zip([first, second, third, fourth])
            .find_map(|(key, list)| {
                let list = list?;
                let age = now.signed_duration_since(list.generated_at).num_seconds();
                (age < max_age).then_some((key, list))
            }))
    }
}
