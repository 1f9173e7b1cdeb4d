//! # tailor-report: reports people use (`-o sarif|junit|github|markdown|html`, `tailor model`)
//!
//! Work in progress (issue #8).
