//! The recommendation engine.
