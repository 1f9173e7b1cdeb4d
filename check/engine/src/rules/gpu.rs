//! GPU rules: device access outside the device plugin, GPU environment leaks, privileged GPU consumers, GPU requests without limits, writable model volumes. Tells GPU consumers (inference pods) from providers (driver, device plugin, toolkit, DCGM).
//!
//! (Being written.)

use super::Rule;
use crate::{Hit, Inventory, WorkloadContext};

pub static RULES: &[Rule] = &[];

pub fn check(context: &WorkloadContext) -> Vec<Hit> {
    let _ = context;
    Vec::new()
}

/// GPU analyses across objects (e.g. GPU workloads without a ResourceQuota in their namespace).
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let _ = inventory;
    Vec::new()
}
