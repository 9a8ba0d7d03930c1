//! The thresholds of the section 3 rule table, with the few section 1, 2 and 4 numbers and
//! engine costs that travel in the same config. Defaults follow the domain brief;
//! [assumption] values are defaults to tune.

use serde::{Deserialize, Serialize};

/// Thresholds of the rule table. Defaults follow the domain brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FrameRulesConfig {
    /// F2 [assumption]: rimless soft limit on max meridian power P.
    pub rimless_soft_power: f32,
    /// F2 [assumption]: rimless hard limit on P (one source: none at >= 6 D).
    pub rimless_hard_power: f32,
    /// F2/F3 [assumption]: strongest plus meridian allowed in rimless and semi-rimless.
    pub rimless_max_plus: f32,
    /// F2: lab edge thickness range for drilled mounts (upper end warns).
    pub rimless_max_edge: f32,
    /// F3 [assumption]: semi-rimless soft limit on P.
    pub semi_rimless_soft_power: f32,
    /// F3: avoid semi-rimless beyond this minus.
    pub semi_rimless_high_minus: f32,
    /// F4: high minus (<= -3.00) and strong minus (<= -5.00).
    pub high_minus: f32,
    pub strong_minus: f32,
    /// F4 [assumption]: keep decentration within this for high minus.
    pub high_minus_max_decentration: f32,
    /// F4: lens width / ED above which a high-minus lens gets thick.
    pub high_minus_max_lens_width: f32,
    /// F5: high plus (>= +2.50).
    pub high_plus: f32,
    /// F6: design minimum fitting height (standard 18-22; short corridor 14-16.5).
    pub progressive_min_fitting_height: f32,
    /// F6: pupil centre below the top rim.
    pub pupil_below_top_rim: f32,
    /// F6: practical floor for B.
    pub progressive_min_lens_height: f32,
    /// F7 [assumption]: lined bifocal minimum B.
    pub bifocal_min_lens_height: f32,
    /// F8: wrap Rx window on meridians (+2.00 ... -4.00) and |CYL| <= 2.00.
    pub wrap_max_plus: f32,
    pub wrap_max_minus: f32,
    pub wrap_max_cyl: f32,
    /// F8: beyond +-3.00 use a flat frame (blocks); beyond +-2.00 avoid (warns).
    pub wrap_flat_beyond: f32,
    pub wrap_avoid_beyond: f32,
    /// F9 [assumption]: oversized when A >= 56 or ED >= 60, relevant from P >= 4.00.
    pub oversized_lens_width: f32,
    pub oversized_ed: f32,
    pub oversized_power: f32,
    /// F10 [assumption]: warn above this decentration per eye.
    pub max_decentration_warn: f32,
    /// F10 [assumption]: largest blank for stock / surfaced lenses (mm).
    pub stock_blank: f32,
    pub surfaced_blank: f32,
    /// Section 2: minimum edge thickness by mounting (mm) for plus lenses.
    pub min_edge_full: f32,
    pub min_edge_grooved: f32,
    pub min_edge_drilled: f32,
    /// Section 4 [assumption]: aspheric from this P.
    pub aspheric_from_power: f32,
    /// Section 1: online labs cap prism at about 5.
    pub max_online_prism: f32,
    /// Engine cost per point of lost compatibility score (fit rules add costs in mm-ish units).
    pub cost_per_score: f32,
    /// Engine cost per mm of the thickest point above 3 mm (prefers thinner lenses).
    pub cost_per_mm: f32,
}

impl Default for FrameRulesConfig {
    fn default() -> Self {
        Self {
            rimless_soft_power: 4.0,
            rimless_hard_power: 6.0,
            rimless_max_plus: 3.0,
            rimless_max_edge: 5.0,
            semi_rimless_soft_power: 6.0,
            semi_rimless_high_minus: -3.0,
            high_minus: -3.0,
            strong_minus: -5.0,
            high_minus_max_decentration: 3.0,
            high_minus_max_lens_width: 54.0,
            high_plus: 2.5,
            progressive_min_fitting_height: 18.0,
            pupil_below_top_rim: 12.0,
            progressive_min_lens_height: 28.0,
            bifocal_min_lens_height: 26.0,
            wrap_max_plus: 2.0,
            wrap_max_minus: -4.0,
            wrap_max_cyl: 2.0,
            wrap_flat_beyond: 3.0,
            wrap_avoid_beyond: 2.0,
            oversized_lens_width: 56.0,
            oversized_ed: 60.0,
            oversized_power: 4.0,
            max_decentration_warn: 4.0,
            stock_blank: 75.0,
            surfaced_blank: 80.0,
            min_edge_full: 1.0,
            min_edge_grooved: 2.0,
            min_edge_drilled: 2.0,
            aspheric_from_power: 3.0,
            max_online_prism: 5.0,
            cost_per_score: 20.0,
            cost_per_mm: 1.0,
        }
    }
}

impl FrameRulesConfig {
    /// Minimum lens height B a progressive needs: FH_min + 12, at least the practical floor.
    pub fn progressive_min_b(&self) -> f32 {
        (self.progressive_min_fitting_height + self.pupil_below_top_rim)
            .max(self.progressive_min_lens_height)
    }
}
