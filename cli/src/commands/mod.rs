pub mod check;
pub mod debug_parse;
pub mod pss;
pub mod record;
pub mod rules;
pub mod seccomp;
