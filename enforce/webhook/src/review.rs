//! `AdmissionReview` (`admission.k8s.io/v1`) in, `AdmissionReview` out.
//!
//! [`handle`] is the whole request handler minus HTTP: it never panics on any input and never
//! performs I/O, so the server, the tests and the fuzz target share it. A body that is not a
//! well-formed AdmissionReview with a `request` is a [`BadReview`] (the server answers 400);
//! everything else gets a response whose `uid` echoes the request's.

use std::collections::BTreeMap;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tailor_kube::{defaults::apply_admission_defaults, PodBearingKind, PodTemplate, TypeMeta};
use tailor_pss::admission::{self, Decision, Operation, Request, Target};

use crate::{mutate, Config, Namespaces};

/// Which webhook path was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Validate,
    Mutate,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Validate => "validate",
            Endpoint::Mutate => "mutate",
        }
    }
}

/// Why a body is not an AdmissionReview the webhook can answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadReview {
    #[error("malformed AdmissionReview: {0}")]
    Malformed(String),
    #[error("expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got {0:?} {1:?}")]
    WrongType(String, String),
    #[error("AdmissionReview has no request")]
    MissingRequest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    request: Option<ReviewRequest>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ReviewRequest {
    uid: String,
    #[serde(default)]
    resource: GroupVersionResource,
    #[serde(default)]
    sub_resource: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    operation: String,
    #[serde(default)]
    user_info: UserInfo,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    old_object: Option<Value>,
}

#[derive(Deserialize, Default)]
struct GroupVersionResource {
    #[serde(default)]
    group: String,
    #[serde(default)]
    resource: String,
}

#[derive(Deserialize, Default)]
struct UserInfo {
    #[serde(default)]
    username: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReviewResponse<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: Response<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response<'a> {
    uid: &'a str,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    audit_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    /// Base64 of the JSONPatch, as `admission.k8s.io/v1` specifies `patch` ([]byte in Go).
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
}

/// A `metav1.Status` for a denial.
#[derive(Serialize)]
struct Status {
    status: &'static str,
    code: u16,
    reason: &'static str,
    message: String,
}

/// What one review came to, for metrics and logs (never the pod's contents).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub operation: String,
    pub resource: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub allowed: bool,
    /// HTTP-style code of the decision: 200, or the denial's code.
    pub code: u16,
    pub patched: bool,
}

/// Answers one AdmissionReview body.
pub fn handle(
    endpoint: Endpoint,
    body: &[u8],
    config: &Config,
    namespaces: &Namespaces,
) -> Result<(Vec<u8>, Outcome), BadReview> {
    let review: Review = serde_json::from_slice(body).map_err(|e| BadReview::Malformed(e.to_string()))?;
    if review.api_version != "admission.k8s.io/v1" || review.kind != "AdmissionReview" {
        return Err(BadReview::WrongType(review.api_version, review.kind));
    }
    let request = review.request.ok_or(BadReview::MissingRequest)?;
    let (decision, patch) = match endpoint {
        Endpoint::Validate => (validate(&request, config, namespaces), None),
        Endpoint::Mutate => (Decision::allow(), mutation(&request, config)),
    };
    let outcome = Outcome {
        operation: request.operation.clone(),
        resource: request.resource.resource.clone(),
        namespace: request.namespace.clone(),
        name: request.name.clone(),
        uid: request.uid.clone(),
        allowed: decision.allowed,
        code: decision.status.as_ref().map_or(200, |s| s.code),
        patched: patch.is_some(),
    };
    let response = ReviewResponse {
        api_version: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: Response {
            uid: &request.uid,
            allowed: decision.allowed,
            status: decision.status.map(|s| Status {
                status: "Failure",
                code: s.code,
                reason: s.reason,
                message: s.message,
            }),
            warnings: decision.warnings,
            audit_annotations: decision.audit_annotations,
            patch_type: patch.as_ref().map(|_| "JSONPatch"),
            patch: patch.map(|ops| base64::engine::general_purpose::STANDARD.encode(ops)),
        },
    };
    let bytes = serde_json::to_vec(&response).map_err(|e| BadReview::Malformed(e.to_string()))?;
    Ok((bytes, outcome))
}

fn decode_pod(object: Option<&Value>) -> Result<PodTemplate, String> {
    let object = object.ok_or("request has no object")?;
    decode_as(PodBearingKind::Pod, object)?.ok_or_else(|| "pod has no spec".to_owned())
}

fn decode_as(kind: PodBearingKind, object: &Value) -> Result<Option<PodTemplate>, String> {
    let mut pod = PodTemplate::extract(kind, object).map_err(|e| format!("failed to decode: {e}"))?;
    if let Some(pod) = pod.as_mut() {
        apply_admission_defaults(pod);
    }
    Ok(pod)
}

fn validate(request: &ReviewRequest, config: &Config, namespaces: &Namespaces) -> Decision {
    let operation = match request.operation.parse::<Operation>() {
        Ok(op) => op,
        Err(e) => return Decision::bad_request(e),
    };
    let req = Request {
        operation,
        resource: &request.resource.resource,
        subresource: &request.sub_resource,
        namespace: &request.namespace,
        name: &request.name,
        username: &request.user_info.username,
    };
    let pss = &config.pod_security;
    match admission::target(operation, &request.resource.group, &request.resource.resource) {
        Target::Ignored => Decision::allow(),
        Target::Namespace => {
            let labels_of = |v: Option<&Value>| -> admission::Labels {
                v.and_then(|o| o.pointer("/metadata/labels"))
                    .and_then(|l| serde_json::from_value(l.clone()).ok())
                    .unwrap_or_default()
            };
            let labels = labels_of(request.object.as_ref());
            let old = request.old_object.as_ref().map(|o| labels_of(Some(o)));
            // The webhook keeps no cache of pods, so it cannot dry-run existing pods.
            let mut list = || Err("the webhook keeps no pod cache".to_owned());
            admission::admit_namespace(pss, &req, &labels, old.as_ref(), &mut list, &mut || true)
        }
        Target::Pod => {
            let lookup = namespaces.lookup(&request.namespace);
            let pod = decode_pod(request.object.as_ref());
            let old = (operation == Operation::Update).then(|| decode_pod(request.old_object.as_ref()));
            let mut decision = admission::admit_pod(
                pss,
                &req,
                lookup.as_ref().map_err(Clone::clone),
                pod.as_ref().map_err(Clone::clone),
                old.as_ref().map(|o| o.as_ref().map_err(Clone::clone)),
            );
            if decision.allowed && !config.deny.is_empty() && !pss.exemptions.namespace(&request.namespace) {
                if let (Ok(pod), Some(object)) = (&pod, &request.object) {
                    let significant = match &old {
                        Some(Ok(old)) => admission::significant_update(&old.spec, &pod.spec),
                        _ => true,
                    };
                    let hits = if significant && request.sub_resource.is_empty()
                        || request.sub_resource == "ephemeralcontainers"
                    {
                        rule_hits(config, object, pod, request)
                    } else {
                        Vec::new()
                    };
                    if !hits.is_empty() {
                        let subject = if request.name.is_empty() {
                            "pods".to_owned()
                        } else {
                            format!("pods {:?}", request.name)
                        };
                        decision.allowed = false;
                        decision.status = Some(admission::Status {
                            code: 403,
                            reason: "Forbidden",
                            message: format!("{subject} is forbidden: violates Tailor policy: {}", hits.join("; ")),
                        });
                        decision.warnings.clear();
                    }
                }
            }
            decision
        }
        Target::Workload => {
            let lookup = namespaces.lookup(&request.namespace);
            let template = request
                .object
                .as_ref()
                .ok_or_else(|| "request has no object".to_owned())
                .and_then(|o| {
                    let kind = TypeMeta::of(o)
                        .and_then(|t| PodBearingKind::classify(&t))
                        .ok_or_else(|| "object is not a pod-bearing kind".to_owned())?;
                    decode_as(kind, o)
                });
            let mut decision = admission::admit_workload(
                pss,
                &req,
                lookup.as_ref().map_err(Clone::clone),
                template.as_ref().map(Option::as_ref).map_err(Clone::clone),
            );
            if !config.deny.is_empty()
                && request.sub_resource.is_empty()
                && !pss.exemptions.namespace(&request.namespace)
            {
                if let (Ok(Some(t)), Some(object)) = (&template, &request.object) {
                    for hit in rule_hits(config, object, t, request) {
                        decision.warnings.push(format!("its pods would be denied: {hit}"));
                    }
                }
            }
            decision
        }
    }
}

/// The denied Tailor rules the object breaks, as `RULE-ID: message`. Only the workload rules
/// run: no findings placed, no Pod Security (admission has just evaluated it).
fn rule_hits(config: &Config, object: &Value, pod: &PodTemplate, request: &ReviewRequest) -> Vec<String> {
    let Some(type_meta) = TypeMeta::of(object) else {
        return Vec::new();
    };
    let source = tailor_check::ObjectSource {
        file: "admission".into(),
        line: 0,
        type_meta,
        namespace: Some(request.namespace.as_str().into()),
        name: Some(request.name.as_str().into()),
    };
    let context = tailor_check::WorkloadContext {
        source: &source,
        object,
        pod,
    };
    tailor_check::workload_hits(&context)
        .into_iter()
        .filter(|hit| config.deny.iter().any(|rule| rule.id == hit.rule.id))
        .map(|hit| format!("{}: {}", hit.rule.id, hit.message))
        .collect()
}

/// The JSONPatch for a Pod CREATE that an injection policy matches.
fn mutation(request: &ReviewRequest, config: &Config) -> Option<Vec<u8>> {
    let is_pod_create = request.operation == "CREATE"
        && request.resource.group.is_empty()
        && request.resource.resource == "pods"
        && request.sub_resource.is_empty();
    if !is_pod_create || config.pod_security.exemptions.namespace(&request.namespace) {
        return None;
    }
    let object = request.object.as_ref()?;
    let labels: BTreeMap<String, String> = object
        .pointer("/metadata/labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default();
    let spec = object.get("spec")?;
    let images = ["initContainers", "containers"]
        .into_iter()
        .filter_map(|list| spec.get(list).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str));
    let policy = config.injection_for(&request.namespace, &labels, images)?;
    let ops = mutate::patch(object, &policy.profile);
    if ops.is_empty() {
        return None;
    }
    serde_json::to_vec(&ops).ok()
}
