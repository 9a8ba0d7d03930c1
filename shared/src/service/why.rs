//! "Why this pick?" (`GET /v1/customers/{id}/recommendations/{style_id}/why`): the engine's
//! explanation of one style for one shopper ([`crate::engine::Engine::explain_with`]), from
//! the same customer, history and (experiment arm) settings the list is computed with, plus
//! what the storefront panel draws: the frame's shape, colour swatches and measurements
//! against the shopper's face width.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::measurement::DEFAULT_PLACEMENT;
use super::{not_found, Framewise};
use crate::domain::{
    validate_id, AppliedContext, Category, ColourFamily, Context, Customer, FrameColour, Material,
    Reason, RimType, ScoredItem, Shape, Style, Subject,
};
use crate::engine::{
    Component, Counterfactual, Engine, Evidence, Explanation, FitVerdict, HistoryMatch,
    ListStanding, ScoreComponent, WhyRequest,
};
use crate::error::{ServiceError, ValidationErrors};

/// One colourway as a swatch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Swatch {
    pub colourway: String,
    pub name: String,
    pub family: ColourFamily,
    /// `#rrggbb`, the colour the frame pictures paint it with.
    pub hex: String,
    /// The colourway of the SKU the list offers.
    pub offered: bool,
}

/// One size's boxing measurements (mm), against the shopper's face width when known.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SizeMeasurements {
    pub label: String,
    pub lens_width: f32,
    pub bridge: f32,
    pub temple_length: f32,
    pub total_width: f32,
    /// The size of the SKU the list offers.
    pub offered: bool,
    /// `total_width - face_width`: positive is wider than the face.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width_vs_face: Option<f32>,
}

/// What the storefront panel draws.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PickVisual {
    pub shape: Shape,
    pub rim: RimType,
    pub material: Material,
    pub category: Category,
    /// The frame picture in the offered colourway.
    pub image_svg: String,
    pub swatches: Vec<Swatch>,
    pub sizes: Vec<SizeMeasurements>,
    /// The shopper's measured face width (mm), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_width: Option<f32>,
    /// Which of the frame's features the shopper's history shares.
    pub matches: HistoryMatch,
}

/// The answer of the "why" route.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PickExplanation {
    pub customer_id: String,
    pub style_id: String,
    pub name: String,
    pub model_version: String,
    pub generated_at: DateTime<Utc>,
    /// The experiment whose variant's settings the list (and so this answer) is scored with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// false: no history (cold start), so no collaborative or taste term.
    pub personal: bool,
    pub score: f32,
    pub components: Vec<ScoreComponent>,
    pub standing: ListStanding,
    pub fit: FitVerdict,
    pub evidence: Evidence,
    pub counterfactuals: Vec<Counterfactual>,
    pub reasons: Vec<Reason>,
    pub visual: PickVisual,
    /// The moment the answer was given for (`occasion`, `country`, `lat`/`lon`, `hour` as on
    /// the list route): its lift is the `context` component and its reasons lead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<AppliedContext>,
    /// The merchandising rules that change this style's place on the shopper's default
    /// list (pins, boosts, buries, caps, exclusions), with its position without and with them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merchandising: Vec<crate::engine::MerchandisingAdjustment>,
}

impl Framewise {
    /// Why `style_id` is (or is not) on the shopper's list. `top` is the page the shopper
    /// sees (default `default_limit`, at most `max_limit`). An unknown shopper is explained
    /// like their cold-start list; an unknown style is NotFound. `swatch_hex` paints the
    /// swatches: the palette belongs to the frame pictures (`crate::render::swatch_hex`),
    /// which the edge passes in (the service layer does not draw).
    pub async fn explain_pick(
        &self,
        customer_id: &str,
        style_id: &str,
        top: Option<usize>,
        context: &Context,
        swatch_hex: fn(&FrameColour) -> String,
        now: DateTime<Utc>,
    ) -> Result<PickExplanation, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        validate_id(style_id).map_err(|m| ValidationErrors::single("style_id", m))?;
        let top = top.unwrap_or(self.config.default_limit);
        if top == 0 || top > self.config.max_limit {
            return Err(ValidationErrors::single(
                "top",
                format!("must be between 1 and {}", self.config.max_limit),
            )
            .into());
        }
        self.check_context(context)?;
        let engine = self.engine();
        if engine.style(style_id).is_none() {
            return Err(not_found("product", style_id));
        }
        let subject = Subject::Customer(customer_id.to_string());
        let (customer, history) = tokio::try_join!(
            self.stores.profiles.get_customer(customer_id),
            self.history(&subject),
        )?;
        // A shopper in an experiment gets their list scored with their arm's settings.
        let arm = self.arm(DEFAULT_PLACEMENT, &subject.key(), now).await;
        let config = arm
            .as_ref()
            .map_or_else(|| engine.config().clone(), |a| a.engine.clone());
        let feeds = self.current_feeds().await;
        let request = WhyRequest {
            customer: customer.as_ref(),
            history: &history,
            now,
            style_id,
            top,
            frame_rules: &self.config.optics,
            feeds: feeds.as_deref().map(|f| f.input()),
        };
        let mut explanation = engine
            .explain_with(&request, &config)
            .ok_or_else(|| not_found("product", style_id))?;
        let list_request = crate::engine::RecommendRequest {
            customer: customer.as_ref(),
            history: &history,
            now,
            limit: config.list_size,
            feeds: request.feeds,
        };
        let context = self.complete_context(context.clone(), &history, now).await;
        let merchandising = self
            .explain_served(&engine, &mut explanation, &list_request, &config, &context)
            .await;
        let style = engine
            .style(style_id)
            .ok_or_else(|| not_found("product", style_id))?;
        let visual = visual(style, customer.as_ref(), &explanation, swatch_hex);
        let (explanation, context) =
            self.explain_context(&engine, explanation, &context, customer.as_ref(), now);
        let Explanation {
            style_id,
            name,
            personal,
            score,
            components,
            standing,
            fit,
            evidence,
            counterfactuals,
            reasons,
            history_match: _,
        } = explanation;
        Ok(PickExplanation {
            customer_id: customer_id.to_string(),
            style_id,
            name,
            model_version: engine.model_version().to_string(),
            generated_at: now,
            experiment_id: arm.as_ref().map(|a| a.experiment_id.clone()),
            variant: arm.map(|a| a.variant),
            personal,
            score,
            components,
            standing,
            fit,
            evidence,
            counterfactuals,
            reasons,
            visual,
            context,
            merchandising,
        })
    }

    /// The context's lift of the style (the `context` component, by the same re-rank the
    /// list route applies) and the reasons it leads with.
    fn explain_context(
        &self,
        engine: &Engine,
        mut explanation: Explanation,
        context: &Context,
        customer: Option<&Customer>,
        now: DateTime<Utc>,
    ) -> (Explanation, Option<AppliedContext>) {
        let mut item = [ScoredItem {
            style_id: explanation.style_id.clone(),
            sku: None,
            score: explanation.score,
            reasons: explanation.reasons.clone(),
        }];
        let Some(applied) = self.contextualize(engine, &mut item, context, customer, now) else {
            return (explanation, None);
        };
        let [item] = item;
        explanation.set_contribution(Component::Context, item.score - explanation.score);
        explanation.reasons = item.reasons;
        (explanation, Some(applied))
    }
}

fn visual(
    style: &Style,
    customer: Option<&Customer>,
    explanation: &Explanation,
    swatch_hex: fn(&FrameColour) -> String,
) -> PickVisual {
    let offered = explanation
        .fit
        .sku
        .as_deref()
        .and_then(|sku| style.variant(sku));
    let offered_colourway = offered.map(|(c, _)| c.code.as_str());
    let offered_size = offered.map(|(_, v)| v.size.as_str());
    let face_width = customer
        .and_then(|c| c.face_measurements.as_ref())
        .map(|f| f.face_width)
        .filter(|w| w.is_finite());
    let picture_colourway = offered_colourway.or(style.colourways.first().map(|c| c.code.as_str()));
    PickVisual {
        shape: style.shape,
        rim: style.rim,
        material: style.material,
        category: style.category,
        image_svg: match picture_colourway {
            Some(code) => format!("/v1/products/{}/image.svg?colourway={code}", style.id),
            None => format!("/v1/products/{}/image.svg", style.id),
        },
        swatches: style
            .colourways
            .iter()
            .map(|c| Swatch {
                colourway: c.code.clone(),
                name: c.colour.name.clone(),
                family: c.colour.family,
                hex: swatch_hex(&c.colour),
                offered: offered_colourway == Some(c.code.as_str()),
            })
            .collect(),
        sizes: style
            .sizes
            .iter()
            .map(|s| SizeMeasurements {
                label: s.label.clone(),
                lens_width: s.lens_width,
                bridge: s.bridge,
                temple_length: s.temple_length,
                total_width: s.total_width,
                offered: offered_size == Some(s.label.as_str()),
                width_vs_face: face_width.map(|w| s.total_width - w),
            })
            .collect(),
        face_width,
        matches: explanation.history_match,
    }
}
