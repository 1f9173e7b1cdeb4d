//! # tailor-harden: each workload's least-privilege version (`tailor harden`)
//!
//! Work in progress (issue #6).
