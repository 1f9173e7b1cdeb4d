//! # tailor-check (being written)
