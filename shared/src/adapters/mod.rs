//! Storage adapters: the embedded default for one machine and an in-memory one for tests.
