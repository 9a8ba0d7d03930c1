//! Static tables for the generator: named frame colours, brand and style names.
//! Colour attributes follow the undertone and season guidance of eyewear-domain section 5.

mod kids_and_sport;
mod metal;
mod names;
mod plastic;

use crate::domain::{ColourFamily as F, ColourValue as V, Finish, Pattern as P, Temperature as T};

pub(crate) use kids_and_sport::{KIDS, SPORT};
pub(crate) use metal::{METAL, MIXED};
pub(crate) use names::{
    GENERAL_BRANDS, HOUSE_ACTIVE, HOUSE_ESSENTIALS, HOUSE_KIDS, HOUSE_STUDIO, KIDS_BRANDS,
    KIDS_WORDS, SPORT_BRANDS, STYLE_WORDS, SUN_BRANDS,
};
pub(crate) use plastic::PLASTIC;

/// A named frame colour and how often it appears in its palette.
pub(crate) struct NamedColour {
    pub name: &'static str,
    pub family: F,
    pub temperature: T,
    pub value: V,
    pub finish: Finish,
    pub pattern: P,
    pub weight: f64,
}

const fn c(
    name: &'static str,
    family: F,
    temperature: T,
    value: V,
    finish: Finish,
    pattern: P,
    weight: f64,
) -> NamedColour {
    NamedColour {
        name,
        family,
        temperature,
        value,
        finish,
        pattern,
        weight,
    }
}
