//! Typed decoding of the object kinds that analyses across objects need: RBAC, service
//! accounts, network policies, services, namespaces and resource quotas.
//!
//! Legacy API versions (`rbac.authorization.k8s.io/v1beta1`, `extensions/v1beta1`
//! NetworkPolicy) carry the same fields, so they are decoded into the current types.

use k8s_openapi::api::core::v1::{Namespace, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::path::FieldPath;
use crate::workload::{DecodeError, TypeMeta};

/// An object of a kind Tailor analyses across objects.
// Each object is decoded once and kept in a flat list: boxing the larger variants would add an
// allocation per object for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum KubeObject {
    Role(Role),
    ClusterRole(ClusterRole),
    RoleBinding(RoleBinding),
    ClusterRoleBinding(ClusterRoleBinding),
    ServiceAccount(ServiceAccount),
    NetworkPolicy(NetworkPolicy),
    Service(Service),
    Namespace(Namespace),
    ResourceQuota(ResourceQuota),
}

impl KubeObject {
    /// Decodes `object` if its kind is one of the above; `Ok(None)` for any other kind.
    pub fn decode(type_meta: &TypeMeta, object: &Value) -> Result<Option<KubeObject>, DecodeError> {
        let object = match (type_meta.group(), type_meta.kind.as_str()) {
            ("rbac.authorization.k8s.io", "Role") => KubeObject::Role(decode(object)?),
            ("rbac.authorization.k8s.io", "ClusterRole") => KubeObject::ClusterRole(decode(object)?),
            ("rbac.authorization.k8s.io", "RoleBinding") => KubeObject::RoleBinding(decode(object)?),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding") => KubeObject::ClusterRoleBinding(decode(object)?),
            ("", "ServiceAccount") => KubeObject::ServiceAccount(decode(object)?),
            ("networking.k8s.io" | "extensions", "NetworkPolicy") => KubeObject::NetworkPolicy(decode(object)?),
            ("", "Service") => KubeObject::Service(decode(object)?),
            ("", "Namespace") => KubeObject::Namespace(decode(object)?),
            ("", "ResourceQuota") => KubeObject::ResourceQuota(decode(object)?),
            _ => return Ok(None),
        };
        Ok(Some(object))
    }
}

/// k8s-openapi checks `apiVersion` and `kind` against the type; a legacy version of the
/// same schema is rewritten to the current one first.
fn decode<T: DeserializeOwned + k8s_openapi::Resource>(object: &Value) -> Result<T, DecodeError> {
    let current = object.get("apiVersion").and_then(Value::as_str) == Some(T::API_VERSION);
    let result = if current {
        serde_path_to_error::deserialize(object)
    } else {
        let mut object = object.clone();
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".to_owned(), Value::from(T::API_VERSION));
            map.insert("kind".to_owned(), Value::from(T::KIND));
        }
        serde_path_to_error::deserialize(object)
    };
    result.map_err(|err| DecodeError::from_serde(FieldPath::new(), err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn type_meta(object: &Value) -> TypeMeta {
        TypeMeta::of(object).unwrap()
    }

    #[test]
    fn decodes_legacy_rbac_and_network_policy_versions() {
        let role = json!({"apiVersion":"rbac.authorization.k8s.io/v1beta1","kind":"ClusterRole","metadata":{"name":"r"},
            "rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]});
        let Some(KubeObject::ClusterRole(role)) = KubeObject::decode(&type_meta(&role), &role).unwrap() else {
            panic!()
        };
        assert_eq!(role.rules.unwrap()[0].resources.as_ref().unwrap()[0], "secrets");

        let policy = json!({"apiVersion":"extensions/v1beta1","kind":"NetworkPolicy","metadata":{"name":"p"},"spec":{"podSelector":{}}});
        assert!(matches!(
            KubeObject::decode(&type_meta(&policy), &policy).unwrap(),
            Some(KubeObject::NetworkPolicy(_))
        ));
    }

    #[test]
    fn other_kinds_are_not_decoded_and_bad_fields_name_their_path() {
        let cm = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}});
        assert!(KubeObject::decode(&type_meta(&cm), &cm).unwrap().is_none());
        let svc =
            json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":"http"}]}});
        let err = KubeObject::decode(&type_meta(&svc), &svc).unwrap_err();
        assert_eq!(err.path.to_string(), "spec.ports[0].port");
    }
}
