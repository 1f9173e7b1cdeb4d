//! # tailor-manifest (being written)
