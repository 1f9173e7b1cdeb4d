//! RBAC and service-account analysis across objects: who holds risky permissions and which workloads run as them.
//!
//! (Being written.)

use super::Rule;
use crate::{Hit, Inventory};

pub static RULES: &[Rule] = &[];

pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let _ = inventory;
    Vec::new()
}
