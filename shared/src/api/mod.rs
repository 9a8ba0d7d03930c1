//! The HTTP API: one router, served locally by the CLI and by Lambda on AWS.
