//! Prescriptions (domain brief section 1): the written notation, validation, minus-cylinder
//! normalisation (transposition) and the derived values the frame and lens rules need.

mod normal_form;
mod notation;
mod summary;

pub use normal_form::{normalise, normalise_eye, transpose, validated};
pub use notation::{parse_eye, parse_prescription, parse_written};
pub use summary::{RxSummary, ANISOMETROPIA_FLAG};
