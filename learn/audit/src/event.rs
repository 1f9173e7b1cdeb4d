//! The audit `Event` (`audit.k8s.io/v1` and `v1beta1`), reduced to the fields learning and
//! replay read, borrowed from the line it was parsed from so a multi-GB log streams without
//! allocating per event.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The API versions an event may declare; an event without one is accepted when its shape is
/// clear (see [`Event::shape_error`]).
pub const API_VERSIONS: [&str; 2] = ["audit.k8s.io/v1", "audit.k8s.io/v1beta1"];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default)]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub stage: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "requestURI")]
    pub request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectReference<'a>>,
    #[serde(borrow, default)]
    pub response_status: Option<ResponseStatus<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<Annotations<'a>>,
    /// Kept unparsed: only Pod Security learning looks into it.
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserInfo<'a> {
    #[serde(borrow, default)]
    pub username: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub groups: Vec<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference<'a> {
    #[serde(borrow, default)]
    pub resource: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub api_group: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub subresource: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResponseStatus<'a> {
    #[serde(default)]
    pub code: Option<u16>,
    #[serde(borrow, default)]
    pub message: Option<Cow<'a, str>>,
}

/// The annotations authorizers and admission plugins write that learning reads.
#[derive(Debug, Default, Deserialize)]
pub struct Annotations<'a> {
    #[serde(borrow, default, rename = "authorization.k8s.io/decision")]
    pub decision: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "pod-security.kubernetes.io/enforce-policy")]
    pub pss_enforce_policy: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "pod-security.kubernetes.io/audit-violations")]
    pub pss_audit_violations: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "pod-security.kubernetes.io/exempt")]
    pub pss_exempt: Option<Cow<'a, str>>,
}

/// Who made a request, as authorization sees it: the impersonated user when there is one.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'e> {
    pub username: &'e str,
    pub groups: &'e [Cow<'e, str>],
}

impl Requester<'_> {
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

/// What was requested, as the RBAC authorizer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'e> {
    Resource {
        verb: &'e str,
        group: &'e str,
        resource: &'e str,
        subresource: Option<&'e str>,
        /// `None` for a request across namespaces or on a cluster-scoped resource.
        namespace: Option<&'e str>,
        name: Option<&'e str>,
    },
    NonResource {
        verb: &'e str,
        /// The request path without its query.
        path: &'e str,
    },
}

/// The resource as RBAC rules name it: `pods`, or `pods/exec` for a subresource.
pub fn rbac_resource(resource: &str, subresource: Option<&str>) -> String {
    match subresource {
        Some(sub) => format!("{resource}/{sub}"),
        None => resource.to_owned(),
    }
}

/// What the authorizer decided, as far as the event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Forbidden by authorization (403 without an admission reason, or `decision: forbid`).
    Denied,
    /// No response recorded (`RequestReceived` stage) and no decision annotation.
    Unknown,
}

fn non_empty<'e>(value: &'e Option<Cow<'e, str>>) -> Option<&'e str> {
    value.as_deref().filter(|s| !s.is_empty())
}

impl<'a> Event<'a> {
    /// Why this is not an audit event, or `None` when it is one: a declared `apiVersion` must be
    /// an audit version and `kind` must be `Event`; without them, a verb and a user must be there.
    pub fn shape_error(&self) -> Option<String> {
        if let Some(version) = self.api_version.as_deref() {
            if !API_VERSIONS.contains(&version) {
                return Some(format!("apiVersion {version:?} is not an audit event version"));
            }
        }
        if let Some(kind) = self.kind.as_deref() {
            if kind != "Event" {
                return Some(format!("kind {kind:?} is not Event"));
            }
        }
        if non_empty(&self.verb).is_none() {
            return Some("no verb".to_owned());
        }
        if self.user.as_ref().and_then(|u| non_empty(&u.username)).is_none() {
            return Some("no user.username".to_owned());
        }
        None
    }

    /// The user the request acted as: `impersonatedUser` when set, else `user`.
    pub fn requester(&self) -> Requester<'_> {
        let user = match &self.impersonated_user {
            Some(impersonated) if non_empty(&impersonated.username).is_some() => impersonated,
            _ => self.user.as_ref().expect("shape_error checked user"),
        };
        Requester {
            username: user.username.as_deref().unwrap_or_default(),
            groups: &user.groups,
        }
    }

    pub fn request(&self) -> Request<'_> {
        let verb = self.verb.as_deref().unwrap_or_default();
        match self.object_ref.as_ref().filter(|o| non_empty(&o.resource).is_some()) {
            Some(object) => Request::Resource {
                verb,
                group: object_group(object),
                resource: object.resource.as_deref().unwrap_or_default(),
                subresource: non_empty(&object.subresource),
                namespace: non_empty(&object.namespace),
                name: non_empty(&object.name),
            },
            None => {
                let uri = self.request_uri.as_deref().unwrap_or("/");
                let path = uri.split_once('?').map_or(uri, |(path, _)| path);
                Request::NonResource { verb, path }
            }
        }
    }

    pub fn decision(&self) -> Decision {
        let annotated = self.annotations.as_ref().and_then(|a| a.decision.as_deref());
        match annotated {
            Some("allow") => return Decision::Allowed,
            Some("forbid") => return Decision::Denied,
            _ => {}
        }
        match self.response_status.as_ref().and_then(|s| s.code) {
            // An admission plugin's 403 (Pod Security, quota) comes after authorization allowed.
            Some(403) if !self.is_admission_denial() => Decision::Denied,
            Some(_) => Decision::Allowed,
            None => Decision::Unknown,
        }
    }

    /// A 403 whose message an admission plugin wrote (authorization had allowed the request).
    pub fn is_admission_denial(&self) -> bool {
        self.response_message()
            .is_some_and(|m| m.contains("violates PodSecurity") || m.contains("admission webhook"))
    }

    pub fn response_message(&self) -> Option<&str> {
        self.response_status.as_ref().and_then(|s| s.message.as_deref())
    }

    pub fn response_code(&self) -> Option<u16> {
        self.response_status.as_ref().and_then(|s| s.code)
    }
}

/// `objectRef.apiGroup`, or the group of `objectRef.apiVersion` (`apps/v1` → `apps`) in events
/// that leave `apiGroup` out; the core group is `""`.
fn object_group<'e>(object: &'e ObjectReference<'e>) -> &'e str {
    if let Some(group) = object.api_group.as_deref() {
        return group;
    }
    match object.api_version.as_deref().and_then(|v| v.split_once('/')) {
        Some((group, _)) => group,
        None => "",
    }
}

impl Request<'_> {
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource { verb, .. } | Request::NonResource { verb, .. } => verb,
        }
    }
}
