//! A content page (`GET /v1/customers/{id}/content?page=home`): a seasonal hero and up to
//! [`CONTENT_ROWS`] curated rows, each cut from the shopper's own list by a rule that makes
//! its title true ("Warm tones for you" holds only warm colourways, and only for a shopper
//! with a warm undertone). The list is the one the recommendations route serves, at the
//! page's placement, so the page is one exposure and clicks on it are credited to the list.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::copy::{face_word, product_copy, CopyFacts};
use super::{ContentOccasion, Season};
use crate::domain::{
    validate_id, Context, Customer, Reason, RecommendedItem, Style, Temperature, Undertone,
};
use crate::error::{ServiceError, ValidationErrors};
use crate::optics::style::{face_shape_of, frame_shape_fit};
use crate::service::{Framewise, RecommendationQuery};

/// Most rows on a page.
pub const CONTENT_ROWS: usize = 3;
/// Most items in one row.
const ROW_ITEMS: usize = 8;
/// How much of the shopper's list the rows are cut from (at most the configured `max_limit`).
const CANDIDATES: usize = 48;
/// A style launched this many days ago or later is "new".
const NEW_IN_DAYS: i64 = 90;

/// Which page (`?page=`); only `home` so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Home,
}

impl PageKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Home => "home",
        }
    }

    /// The page a query names; 400 naming `page` for any other value.
    pub fn parse(value: &str) -> Result<Self, ValidationErrors> {
        match value {
            "home" => Ok(Self::Home),
            _ => Err(ValidationErrors::single("page", "must be one of home")),
        }
    }
}

/// The banner at the top of the page: the season where the shop is, now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Hero {
    pub season: Season,
    /// The configured occasion id asked for (`?occasion=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occasion: Option<String>,
    /// `summer`, or `summer-beach` with an occasion: what artwork to show.
    pub theme: String,
    pub title: String,
}

/// One curated row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContentRow {
    /// Stable code of the rule the row was cut by: `occasion_work`, `warm_tones`,
    /// `cool_tones`, `face_shape`, `new_in`, `top_picks`.
    pub id: String,
    pub title: String,
    pub items: Vec<ContentItem>,
}

/// A frame of a row, with its reasons and its copy for this shopper.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContentItem {
    pub style_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub name: String,
    pub brand: String,
    pub image_url: String,
    // utoipa documents u32 as int32 (too small); its uint32 spells "u-int32" (utoipa#1527).
    #[schema(format = "uint32")]
    pub price_cents: u32,
    pub currency: String,
    pub reasons: Vec<Reason>,
    /// Product copy from the data (face shape, colouring, lens fit, occasion); it names no
    /// prescription value.
    pub copy: String,
}

/// A shopper's content page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContentPage {
    pub customer_id: String,
    pub page: PageKind,
    /// The list the rows were cut from: what signals about these items name.
    pub recommendation_id: String,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    /// The page's name: the placement its exposure is recorded under.
    pub placement: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub hero: Hero,
    pub rows: Vec<ContentRow>,
}

impl Framewise {
    /// The shopper's `page`: the hero for the season now (in the shopper's hemisphere when
    /// the context says where they are, else the configured one) and the context's occasion,
    /// and up to [`CONTENT_ROWS`] rows cut from their list, re-ranked for the `context`
    /// (occasion, country, coordinates, hour: the list route's context).
    pub async fn content_page(
        &self,
        customer_id: &str,
        page: PageKind,
        context: Context,
        now: DateTime<Utc>,
    ) -> Result<ContentPage, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        self.check_context(&context)?;
        let occasion_id = context.occasion.clone();
        let occasion = occasion_id.as_deref().and_then(|id| {
            let rule = self.config.context.occasions.get(id)?;
            Some(ContentOccasion { id, rule })
        });
        let hemisphere = self
            .config
            .context
            .hemisphere(&context)
            .unwrap_or(self.config.engine.hemisphere);
        let query = RecommendationQuery {
            limit: Some(CANDIDATES.min(self.config.max_limit)),
            placement: Some(page.name().to_string()),
            context,
            ..RecommendationQuery::default()
        };
        let list = self.recommendations(customer_id, query, now).await?;
        let customer = self.stores.profiles.get_customer(customer_id).await?;
        let engine = self.engine();
        let candidates: Vec<(RecommendedItem, &Style)> = list
            .items
            .into_iter()
            .filter_map(|item| engine.style(&item.style_id).map(|style| (item, style)))
            .collect();
        let picked = pick_rows(customer.as_ref(), &candidates, occasion, now);
        let mut rows = Vec::with_capacity(picked.len());
        for (id, title, members) in picked {
            let mut items = Vec::with_capacity(members.len());
            for index in members {
                let (item, style) = &candidates[index];
                let facts = CopyFacts::gather(
                    customer.as_ref(),
                    style,
                    item,
                    occasion,
                    &self.config.optics,
                );
                items.push(content_item(item, product_copy(&facts)?));
            }
            rows.push(ContentRow { id, title, items });
        }
        Ok(ContentPage {
            customer_id: list.customer_id,
            page,
            recommendation_id: list.recommendation_id,
            model_version: list.model_version,
            generated_at: list.generated_at,
            placement: page.name().to_string(),
            experiment_id: list.experiment_id,
            variant: list.variant,
            hero: hero(Season::at(now, hemisphere), occasion),
            rows,
        })
    }
}

fn hero(season: Season, occasion: Option<ContentOccasion<'_>>) -> Hero {
    let (theme, title) = match occasion {
        Some(o) => (
            format!("{}-{}", season.name(), o.id),
            format!("Your {} edit for {}", season.name(), o.phrase()),
        ),
        None => (
            season.name().to_string(),
            format!("Your {} edit", season.name()),
        ),
    };
    Hero {
        season,
        occasion: occasion.map(|o| o.id.to_string()),
        theme,
        title,
    }
}

fn content_item(item: &RecommendedItem, copy: String) -> ContentItem {
    ContentItem {
        style_id: item.style_id.clone(),
        sku: item.sku.clone(),
        name: item.name.clone(),
        brand: item.brand.clone(),
        image_url: item.image_url.clone(),
        price_cents: item.price_cents,
        currency: item.currency.clone(),
        reasons: item.reasons.clone(),
        copy,
    }
}

/// A row rule: its code, its title, and which candidates its title is true of.
type RowRule<'a> = (
    String,
    String,
    Box<dyn Fn(&RecommendedItem, &Style) -> bool + 'a>,
);

/// The rules that apply to this shopper, most specific first; `top_picks` takes the rest.
fn row_rules<'a>(
    customer: Option<&'a Customer>,
    occasion: Option<ContentOccasion<'a>>,
    now: DateTime<Utc>,
) -> Vec<RowRule<'a>> {
    let mut rules: Vec<RowRule<'a>> = Vec::new();
    if let Some(o) = occasion {
        rules.push((
            format!("occasion_{}", o.id),
            o.row_title(),
            Box::new(move |_, style| o.takes(style.category)),
        ));
    }
    let tone = customer.and_then(|c| c.undertone).and_then(|u| match u {
        Undertone::Warm => Some(("warm_tones", "Warm tones for you", Temperature::Warm)),
        Undertone::Cool => Some(("cool_tones", "Cool tones for you", Temperature::Cool)),
        Undertone::Neutral => None,
    });
    if let Some((id, title, temperature)) = tone {
        rules.push((
            id.to_string(),
            title.to_string(),
            Box::new(move |item, _| {
                item.colour
                    .as_ref()
                    .is_some_and(|c| c.temperature == temperature)
            }),
        ));
    }
    if let Some(face) = customer.and_then(face_shape_of) {
        rules.push((
            "face_shape".to_string(),
            format!("Shapes for your {} face", face_word(face)),
            Box::new(move |_, style| frame_shape_fit(face, style.shape, style.rim).0 > 0.0),
        ));
    }
    let since = (now - Duration::days(NEW_IN_DAYS)).date_naive();
    // The size of an item is chosen for the shopper's face width only when it is measured.
    let measured = customer.is_some_and(|c| c.face_measurements.is_some());
    let new_title = if measured {
        "New in your size"
    } else {
        "New for you"
    };
    rules.push((
        "new_in".to_string(),
        new_title.to_string(),
        Box::new(move |_, style| style.launch_date >= since),
    ));
    rules.push((
        "top_picks".to_string(),
        "Top picks for you".to_string(),
        Box::new(|_, _| true),
    ));
    rules
}

/// The rows of the page as (code, title, indices into `candidates`): each rule in turn takes
/// up to [`ROW_ITEMS`] candidates no earlier row took, in list order; empty rows are skipped.
fn pick_rows(
    customer: Option<&Customer>,
    candidates: &[(RecommendedItem, &Style)],
    occasion: Option<ContentOccasion<'_>>,
    now: DateTime<Utc>,
) -> Vec<(String, String, Vec<usize>)> {
    let mut taken = vec![false; candidates.len()];
    let mut rows = Vec::new();
    for (id, title, holds) in row_rules(customer, occasion, now) {
        if rows.len() == super::CONTENT_ROWS {
            break;
        }
        let members: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(i, (item, style))| !taken[*i] && holds(item, style))
            .map(|(i, _)| i)
            .take(ROW_ITEMS)
            .collect();
        if members.is_empty() {
            continue;
        }
        for &i in &members {
            taken[i] = true;
        }
        rows.push((id, title, members));
    }
    rows
}
