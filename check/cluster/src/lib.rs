//! # tailor-cluster: `tailor check --cluster`
//!
//! Work in progress (issue #9).
