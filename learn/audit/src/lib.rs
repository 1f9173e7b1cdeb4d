//! # tailor-audit: learning from API-server audit logs (`tailor learn rbac|pss`, `tailor rbac`)
//!
//! Work in progress (issue #7).
