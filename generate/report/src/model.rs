//! `tailor model` (in progress).
