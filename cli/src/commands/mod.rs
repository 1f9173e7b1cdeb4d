pub mod check;
pub mod pss;
pub mod rules;
pub mod debug_parse;
