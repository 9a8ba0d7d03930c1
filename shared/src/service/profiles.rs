//! Shopper profiles (face, colouring, preferences, prescription) and lens advice. Request
//! bodies are parsed and responses redacted in [`crate::api`]; stores seal the prescription.

use chrono::{DateTime, Utc};

use super::{not_found, Framewise};
use crate::domain::{validate_id, Customer};
use crate::error::{ServiceError, ValidationErrors};
use crate::optics::frame::best_size;
use crate::optics::lens::{recommend_lens, LensRecommendation, LensRequest};

impl Framewise {
    /// Replaces a customer's profile (already parsed and validated), stores it (prescription
    /// sealed at rest) and recomputes their list.
    pub async fn put_profile(
        &self,
        customer: Customer,
        now: DateTime<Utc>,
    ) -> Result<Customer, ServiceError> {
        validate_id(&customer.id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        self.stores
            .profiles
            .put_customers(std::slice::from_ref(&customer))
            .await?;
        self.recompute_customer(&customer.id, now).await?;
        Ok(customer)
    }

    /// The stored profile, prescription included: callers decide what to show (the API
    /// redacts the prescription unless its owner asks for it).
    pub async fn get_profile(&self, customer_id: &str) -> Result<Customer, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        self.stores
            .profiles
            .get_customer(customer_id)
            .await?
            .ok_or_else(|| not_found("customer", customer_id))
    }

    /// Deletes the profile and the prescription in it.
    pub async fn delete_profile(&self, customer_id: &str) -> Result<(), ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        if self
            .stores
            .profiles
            .delete_customer(customer_id)
            .await?
            .is_some()
        {
            Ok(())
        } else {
            Err(not_found("customer", customer_id))
        }
    }

    /// Lens advice for the customer's prescription under the configured frame rules, checked
    /// against the best-fitting size of `style_id` when given (the first size, with its
    /// blocking findings, if none fits).
    pub async fn lens_recommendation(
        &self,
        customer_id: &str,
        style_id: Option<&str>,
        request: &LensRequest,
    ) -> Result<LensRecommendation, ServiceError> {
        validate_id(customer_id).map_err(|m| ValidationErrors::single("customer_id", m))?;
        if let Some(id) = style_id {
            validate_id(id).map_err(|m| ValidationErrors::single("style_id", m))?;
        }
        let customer = self.get_profile(customer_id).await?;
        let rx = customer
            .prescription
            .as_ref()
            .ok_or_else(|| not_found("prescription", customer_id))?;
        let engine = self.engine();
        let style = match style_id {
            Some(id) => Some(engine.style(id).ok_or_else(|| not_found("style", id))?),
            None => None,
        };
        let request = LensRequest {
            child: request.child || customer.age_band.is_some_and(|a| a.is_child()),
            ..request.clone()
        };
        let rules = &self.config.optics;
        let frame = style.and_then(|st| {
            best_size(rx, st, rules)
                .map(|(size, _)| size)
                .or_else(|| st.sizes.first())
                .map(|size| (st, size))
        });
        Ok(recommend_lens(rx, &request, frame, rules))
    }
}
