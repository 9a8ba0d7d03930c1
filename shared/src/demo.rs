//! Seeded, deterministic demo data: catalogue, customers and taste-driven interactions.
