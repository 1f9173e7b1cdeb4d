//! Folding replicas into workloads: a pod (or ReplicaSet, or Job) whose controller
//! `ownerReference` points at an object already listed is reported through that owner, the
//! top of the chain (Pod → ReplicaSet → Deployment, Pod → Job → CronJob). Objects arrive in
//! [`crate::resources::Phase`] order, so an owner is always known before what it owns.
//!
//! An object whose owner was not listed (a kind Tailor does not read, such as a custom
//! controller, or one the credentials could not list) stands alone: its pod is still checked.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

#[derive(Debug, Default)]
pub struct Owners {
    /// uid of every pod-bearing object seen → its top-level owner (`Kind namespace/name`).
    top_of: HashMap<String, String>,
    /// Top-level owner → how many objects were folded into it.
    folded: BTreeMap<String, usize>,
}

/// What to do with one listed object.
#[derive(Debug, PartialEq, Eq)]
pub enum Placement {
    /// Reported as itself.
    Own,
    /// Folded into this top-level owner (`Kind namespace/name`): not reported separately.
    FoldedInto(String),
}

impl Owners {
    /// Records `object` (of `kind`) and says whether it folds into an owner seen before.
    pub fn place(&mut self, kind: &str, object: &Value) -> Placement {
        let metadata = &object["metadata"];
        let uid = metadata["uid"].as_str();
        let controller_owner = metadata["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["controller"] == true)
            .and_then(|r| r["uid"].as_str());
        let top = controller_owner.and_then(|owner| self.top_of.get(owner)).cloned();
        let placement = match &top {
            Some(top) => {
                *self.folded.entry(top.clone()).or_default() += 1;
                Placement::FoldedInto(top.clone())
            }
            None => Placement::Own,
        };
        if let Some(uid) = uid {
            let top = top.unwrap_or_else(|| {
                let name = metadata["name"].as_str().unwrap_or_default();
                match metadata["namespace"].as_str() {
                    Some(ns) => format!("{kind} {ns}/{name}"),
                    None => format!("{kind} {name}"),
                }
            });
            self.top_of.insert(uid.to_owned(), top);
        }
        placement
    }

    /// Top-level owner → number of objects folded into it.
    pub fn folded(&self) -> &BTreeMap<String, usize> {
        &self.folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(name: &str, uid: &str, owner: Option<(&str, bool)>) -> Value {
        let mut metadata = json!({"name": name, "namespace": "ml", "uid": uid});
        if let Some((owner_uid, controller)) = owner {
            metadata["ownerReferences"] =
                json!([{"uid": owner_uid, "controller": controller, "kind": "X", "name": "x"}]);
        }
        json!({ "metadata": metadata })
    }

    #[test]
    fn pods_fold_through_replica_sets_into_deployments() {
        let mut owners = Owners::default();
        assert_eq!(owners.place("Deployment", &object("web", "d1", None)), Placement::Own);
        let top = Placement::FoldedInto("Deployment ml/web".into());
        assert_eq!(
            owners.place("ReplicaSet", &object("web-1", "r1", Some(("d1", true)))),
            top
        );
        assert_eq!(owners.place("Pod", &object("web-1-a", "p1", Some(("r1", true)))), top);
        assert_eq!(owners.place("Pod", &object("web-1-b", "p2", Some(("r1", true)))), top);
        assert_eq!(owners.folded()["Deployment ml/web"], 3);
    }

    #[test]
    fn bare_pods_unknown_owners_and_non_controller_owners_stand_alone() {
        let mut owners = Owners::default();
        owners.place("Deployment", &object("web", "d1", None));
        assert_eq!(owners.place("Pod", &object("bare", "p1", None)), Placement::Own);
        assert_eq!(
            owners.place("Pod", &object("custom", "p2", Some(("rollout", true)))),
            Placement::Own
        );
        assert_eq!(
            owners.place("Pod", &object("adopted", "p3", Some(("d1", false)))),
            Placement::Own
        );
        assert!(owners.folded().is_empty());
    }
}
