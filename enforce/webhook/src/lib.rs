//! # tailor-webhook: the admission webhook (`tailor webhook serve`)
//!
//! Work in progress (issue #5).
