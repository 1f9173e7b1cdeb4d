//! Pod Security *admission*: namespace policies and the decisions of the admission plugin.
//!
//! Where [`crate::evaluate`] answers "does this pod meet level L at version V", this module
//! answers what the `PodSecurity` admission plugin (and its standalone webhook) does with a
//! request, exactly as `spec/pss-checks.md` §6 and §7 describe:
//!
//! - [`namespace_policy`]: a namespace's effective enforce/audit/warn policy from its
//!   `pod-security.kubernetes.io/*` labels and the configured defaults, with the fallbacks on
//!   parse errors (enforce fails closed, audit and warn fail open, versions become `latest`)
//!   and "warn follows enforce";
//! - [`Configuration`]: the `PodSecurityConfiguration` defaults and exemptions (usernames,
//!   runtimeClasses, namespaces);
//! - [`admit_pod`], [`admit_workload`], [`admit_namespace`]: one admission request each, giving
//!   a [`Decision`] with the plugin's status, warnings and audit annotations (keys without the
//!   `pod-security.kubernetes.io/` prefix, which the API server adds);
//! - [`dry_run`]: the warnings for existing pods when a namespace's enforce level tightens.
//!
//! Pure like the rest of the crate: decoding the request, looking the namespace up and
//! listing pods are the caller's (they are passed in as values or closures), so the same
//! decisions serve the webhook, `tailor learn pss`, `tailor check --cluster` and
//! `tailor harden`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use tailor_kube::{ObjectMeta, PodSpec, PodTemplate};

use crate::checks::message::go_quote;
use crate::{evaluate, Evaluation, Level, Version};

/// Namespace labels (or any label map).
pub type Labels = BTreeMap<String, String>;

/// The label prefix of every Pod Security label and of the audit annotations the API server
/// writes.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// A level and version pair, shown as `restricted:latest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    pub level: Level,
    pub version: Version,
}

impl LevelVersion {
    pub const PRIVILEGED_LATEST: LevelVersion = LevelVersion {
        level: Level::Privileged,
        version: Version::Latest,
    };

    pub fn new(level: Level, version: Version) -> LevelVersion {
        LevelVersion { level, version }
    }

    /// Evaluates a pod; privileged allows without running any check.
    pub fn evaluate(self, metadata: &ObjectMeta, spec: &PodSpec) -> Evaluation {
        if self.level == Level::Privileged {
            return Evaluation {
                level: self.level,
                version: self.version,
                policy_version: self.version.policy(),
                violations: Vec::new(),
            };
        }
        evaluate(self.level, self.version, metadata, spec)
    }

    /// Both privileged, or the same level and version (the plugin's "equivalent").
    fn equivalent(self, other: LevelVersion) -> bool {
        (self.level == Level::Privileged && other.level == Level::Privileged) || self == other
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

/// The three modes of a namespace policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Enforce,
    Audit,
    Warn,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }

    /// `pod-security.kubernetes.io/<mode>`.
    pub fn level_label(self) -> String {
        format!("{LABEL_PREFIX}{}", self.as_str())
    }

    /// `pod-security.kubernetes.io/<mode>-version`.
    pub fn version_label(self) -> String {
        format!("{LABEL_PREFIX}{}-version", self.as_str())
    }
}

/// What a namespace enforces, audits and warns about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    pub enforce: LevelVersion,
    pub audit: LevelVersion,
    pub warn: LevelVersion,
}

impl Default for Policy {
    /// Everything privileged at `latest`: the plugin's defaults without a configuration.
    fn default() -> Self {
        Policy {
            enforce: LevelVersion::PRIVILEGED_LATEST,
            audit: LevelVersion::PRIVILEGED_LATEST,
            warn: LevelVersion::PRIVILEGED_LATEST,
        }
    }
}

impl Policy {
    pub fn mode(&self, mode: Mode) -> LevelVersion {
        match mode {
            Mode::Enforce => self.enforce,
            Mode::Audit => self.audit,
            Mode::Warn => self.warn,
        }
    }

    fn mode_mut(&mut self, mode: Mode) -> &mut LevelVersion {
        match mode {
            Mode::Enforce => &mut self.enforce,
            Mode::Audit => &mut self.audit,
            Mode::Warn => &mut self.warn,
        }
    }

    pub fn fully_privileged(&self) -> bool {
        Mode::ALL.iter().all(|&m| self.mode(m).level == Level::Privileged)
    }

    /// The labels that express this policy (all six, explicit), e.g. for `tailor harden`.
    pub fn to_labels(&self) -> Labels {
        let mut labels = Labels::new();
        for mode in Mode::ALL {
            let lv = self.mode(mode);
            labels.insert(mode.level_label(), lv.level.to_string());
            labels.insert(mode.version_label(), lv.version.to_string());
        }
        labels
    }
}

/// An invalid Pod Security label, shown as the API server's field error:
/// `metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelError {
    pub key: String,
    pub value: String,
    pub message: String,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "metadata.labels[{}]: Invalid value: {}: {}",
            self.key,
            go_quote(&self.value),
            self.message
        )
    }
}

/// A namespace's effective policy and the label errors met while resolving it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub policy: Policy,
    pub errors: Vec<LabelError>,
}

impl NamespacePolicy {
    /// The errors as Kubernetes aggregates them: the one message, or `[a, b]`.
    pub fn error_text(&self) -> String {
        aggregate(self.errors.iter().map(|e| e.to_string()).collect())
    }
}

fn aggregate(mut messages: Vec<String>) -> String {
    // utilerrors.NewAggregate drops repeated messages.
    let mut seen = std::collections::HashSet::new();
    messages.retain(|m| seen.insert(m.clone()));
    if messages.len() == 1 {
        messages.pop().unwrap_or_default()
    } else {
        format!("[{}]", messages.join(", "))
    }
}

/// Resolves a namespace's policy from its labels (§6).
pub fn namespace_policy(labels: &Labels, defaults: &Policy) -> NamespacePolicy {
    let mut policy = *defaults;
    let mut errors = Vec::new();
    if labels.is_empty() {
        return NamespacePolicy { policy, errors };
    }
    let mut enforce_set = false;
    for mode in Mode::ALL {
        let key = mode.level_label();
        if let Some(value) = labels.get(&key) {
            match value.parse::<Level>() {
                Ok(level) => {
                    policy.mode_mut(mode).level = level;
                    enforce_set |= mode == Mode::Enforce;
                }
                Err(e) => {
                    // Enforce fails closed, audit and warn fail open.
                    policy.mode_mut(mode).level = match mode {
                        Mode::Enforce => Level::Restricted,
                        Mode::Audit | Mode::Warn => Level::Privileged,
                    };
                    errors.push(LabelError {
                        key,
                        value: value.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
        let key = mode.version_label();
        if let Some(value) = labels.get(&key) {
            match value.parse::<Version>() {
                Ok(version) => policy.mode_mut(mode).version = version,
                Err(e) => {
                    policy.mode_mut(mode).version = Version::Latest;
                    errors.push(LabelError {
                        key,
                        value: value.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    // Warn follows enforce when only enforce is labelled and it is stricter.
    if !labels.contains_key(&Mode::Warn.level_label()) && enforce_set && policy.enforce.level > policy.warn.level {
        policy.warn.level = policy.enforce.level;
        if !labels.contains_key(&Mode::Warn.version_label()) {
            policy.warn.version = policy.enforce.version;
        }
    }
    NamespacePolicy { policy, errors }
}

/// `exemptions` of a `PodSecurityConfiguration`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exemptions {
    pub usernames: Vec<String>,
    pub runtime_classes: Vec<String>,
    pub namespaces: Vec<String>,
}

impl Exemptions {
    pub fn namespace(&self, namespace: &str) -> bool {
        !namespace.is_empty() && self.namespaces.iter().any(|n| n == namespace)
    }

    pub fn username(&self, username: &str) -> bool {
        !username.is_empty() && self.usernames.iter().any(|n| n == username)
    }

    pub fn runtime_class(&self, runtime_class: Option<&str>) -> bool {
        matches!(runtime_class, Some(rc) if !rc.is_empty() && self.runtime_classes.iter().any(|n| n == rc))
    }
}

/// A `PodSecurityConfiguration`: defaults and exemptions. `Default` is what an empty or absent
/// configuration means: all privileged at `latest`, nothing exempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Configuration {
    pub defaults: Policy,
    pub exemptions: Exemptions,
}

impl Configuration {
    /// The configuration's own validation: usernames non-empty and unique, namespaces valid
    /// names (DNS labels) and unique, runtimeClasses DNS subdomains and unique. Each error
    /// names its field, e.g. `exemptions.namespaces[1]: Duplicate value: "a"`.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        let lists: [(&str, &[String], NameCheck); 3] = [
            ("usernames", &self.exemptions.usernames, |s| !s.trim().is_empty()),
            ("namespaces", &self.exemptions.namespaces, is_dns_label),
            ("runtimeClasses", &self.exemptions.runtime_classes, is_dns_subdomain),
        ];
        for (field, values, valid) in lists {
            let mut seen = std::collections::HashSet::new();
            for (i, value) in values.iter().enumerate() {
                if !valid(value) {
                    errors.push(format!("exemptions.{field}[{i}]: Invalid value: {}", go_quote(value)));
                } else if !seen.insert(value.as_str()) {
                    errors.push(format!("exemptions.{field}[{i}]: Duplicate value: {}", go_quote(value)));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A validity test for one exemption entry.
type NameCheck = fn(&str) -> bool;

fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// An admission operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

impl std::str::FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "CREATE" => Operation::Create,
            "UPDATE" => Operation::Update,
            "DELETE" => Operation::Delete,
            "CONNECT" => Operation::Connect,
            other => return Err(format!("unknown operation {}", go_quote(other))),
        })
    }
}

/// What the plugin does with a request for a resource (§7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Namespace,
    Pod,
    Workload,
    /// Not a resource Pod Security looks at, or not CREATE/UPDATE: allowed untouched.
    Ignored,
}

/// §7.1 dispatch by operation, API group and plural resource name.
pub fn target(operation: Operation, group: &str, resource: &str) -> Target {
    if !matches!(operation, Operation::Create | Operation::Update) {
        return Target::Ignored;
    }
    match (group, resource) {
        ("", "namespaces") => Target::Namespace,
        ("", "pods") => Target::Pod,
        ("", "replicationcontrollers" | "podtemplates")
        | ("apps", "replicasets" | "deployments" | "statefulsets" | "daemonsets")
        | ("batch", "jobs" | "cronjobs") => Target::Workload,
        _ => Target::Ignored,
    }
}

/// The parts of an admission request the decision reads.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub operation: Operation,
    /// Plural resource, e.g. `pods`, `deployments`.
    pub resource: &'a str,
    /// `""` for the resource itself, else e.g. `ephemeralcontainers`, `status`.
    pub subresource: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub username: &'a str,
}

/// A failed response, as a `metav1.Status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// HTTP code: 400, 403, 422 or 500.
    pub code: u16,
    /// `BadRequest`, `Forbidden`, `Invalid`, `InternalError`.
    pub reason: &'static str,
    pub message: String,
}

/// The admission response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Set when denied.
    pub status: Option<Status>,
    pub warnings: Vec<String>,
    /// Keys without prefix: `enforce-policy`, `audit-violations`, `exempt`, `error`.
    pub audit_annotations: BTreeMap<String, String>,
}

impl Decision {
    pub fn allow() -> Decision {
        Decision {
            allowed: true,
            ..Decision::default()
        }
    }

    fn allow_with(key: &str, value: impl Into<String>) -> Decision {
        let mut d = Decision::allow();
        d.audit_annotations.insert(key.to_owned(), value.into());
        d
    }

    fn deny(code: u16, reason: &'static str, message: String) -> Decision {
        Decision {
            allowed: false,
            status: Some(Status { code, reason, message }),
            ..Decision::default()
        }
    }

    /// A request that could not be decoded (a fatal error for pods).
    pub fn bad_request(message: impl Into<String>) -> Decision {
        let message = message.into();
        let mut d = Decision::deny(400, "BadRequest", message.clone());
        d.audit_annotations.insert("error".to_owned(), message);
        d
    }
}

/// The namespace as the caller found it: its labels, or why the lookup failed.
pub type NamespaceLookup<'a> = Result<&'a Labels, String>;

/// A decoded pod (already defaulted as admission sees it), or why it could not be decoded.
pub type Decoded<'a> = Result<&'a PodTemplate, String>;

/// Pod subresources allowed without evaluation; every other one is evaluated as an update.
const IGNORED_POD_SUBRESOURCES: [&str; 8] = [
    "exec",
    "attach",
    "binding",
    "eviction",
    "log",
    "portforward",
    "proxy",
    "status",
];

/// A Pod request (CREATE or UPDATE, any subresource) (§7.5). `old` is the old pod of an UPDATE.
pub fn admit_pod(
    config: &Configuration,
    request: &Request<'_>,
    namespace: NamespaceLookup<'_>,
    pod: Decoded<'_>,
    old: Option<Decoded<'_>>,
) -> Decision {
    if IGNORED_POD_SUBRESOURCES.contains(&request.subresource) {
        return Decision::allow();
    }
    if let Some(exempt) = exempt_request(config, request) {
        return exempt;
    }
    let labels = match namespace {
        Ok(labels) => labels,
        Err(_) => {
            let message = format!("failed to lookup namespace {}", go_quote(request.namespace));
            let mut d = Decision::deny(500, "InternalError", format!("Internal error occurred: {message}"));
            d.audit_annotations.insert("error".to_owned(), message);
            return d;
        }
    };
    let ns_policy = namespace_policy(labels, &config.defaults);
    if ns_policy.errors.is_empty() && ns_policy.policy.fully_privileged() {
        return Decision::allow_with("enforce-policy", LevelVersion::PRIVILEGED_LATEST.to_string());
    }
    let pod = match pod {
        Ok(pod) => pod,
        Err(e) => return Decision::bad_request(e),
    };
    if request.operation == Operation::Update {
        match old {
            Some(Ok(old)) if !significant_update(&old.spec, &pod.spec) => return Decision::allow(),
            Some(Err(e)) => return Decision::bad_request(e),
            _ => {}
        }
    }
    let subject = (request.resource, request.name);
    evaluate_against(config, &ns_policy, &pod.metadata, &pod.spec, Some(subject))
}

/// A workload (Deployment, Job, …) request: warnings and audit annotations only, never denied
/// for policy (§7.6). `template` is `Ok(None)` when the object carries no pod template.
pub fn admit_workload(
    config: &Configuration,
    request: &Request<'_>,
    namespace: NamespaceLookup<'_>,
    template: Result<Option<&PodTemplate>, String>,
) -> Decision {
    if !request.subresource.is_empty() {
        return Decision::allow();
    }
    if let Some(exempt) = exempt_request(config, request) {
        return exempt;
    }
    let labels = match namespace {
        Ok(labels) => labels,
        Err(e) => {
            return Decision::allow_with(
                "error",
                format!("failed to lookup namespace {}: {e}", go_quote(request.namespace)),
            )
        }
    };
    let ns_policy = namespace_policy(labels, &config.defaults);
    let policy = ns_policy.policy;
    if ns_policy.errors.is_empty() && policy.warn.level == Level::Privileged && policy.audit.level == Level::Privileged
    {
        return Decision::allow();
    }
    match template {
        Err(e) => Decision::allow_with("error", e),
        Ok(None) => Decision::allow(),
        Ok(Some(t)) => evaluate_against(config, &ns_policy, &t.metadata, &t.spec, None),
    }
}

fn exempt_request(config: &Configuration, request: &Request<'_>) -> Option<Decision> {
    if config.exemptions.namespace(request.namespace) {
        return Some(Decision::allow_with("exempt", "namespace"));
    }
    if config.exemptions.username(request.username) {
        return Some(Decision::allow_with("exempt", "user"));
    }
    None
}

/// Whether a pod UPDATE must be re-evaluated (§7.5 step 5).
pub fn significant_update(old: &PodSpec, new: &PodSpec) -> bool {
    let init = |s: &PodSpec| s.init_containers.clone().unwrap_or_default();
    let (old_init, new_init) = (init(old), init(new));
    if old.containers.len() != new.containers.len() || old_init.len() != new_init.len() {
        return true;
    }
    let images_changed =
        |a: &[tailor_kube::Container], b: &[tailor_kube::Container]| a.iter().zip(b).any(|(x, y)| x.image != y.image);
    if images_changed(&old.containers, &new.containers) || images_changed(&old_init, &new_init) {
        return true;
    }
    let old_ephemeral: HashMap<&str, &Option<String>> = old
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), &c.image))
        .collect();
    new.ephemeral_containers.iter().flatten().any(|c| {
        old_ephemeral
            .get(c.name.as_str())
            .is_none_or(|image| **image != c.image)
    })
}

/// §7.3: one pod or template against a namespace policy. `enforce_subject` is the resource and
/// name of a Pod (enforce applies); `None` for templates.
fn evaluate_against(
    config: &Configuration,
    ns_policy: &NamespacePolicy,
    metadata: &ObjectMeta,
    spec: &PodSpec,
    enforce_subject: Option<(&str, &str)>,
) -> Decision {
    if config.exemptions.runtime_class(spec.runtime_class_name.as_deref()) {
        return Decision::allow_with("exempt", "runtimeClass");
    }
    let mut decision = Decision::allow();
    if !ns_policy.errors.is_empty() {
        decision.audit_annotations.insert(
            "error".to_owned(),
            format!("Failed to parse policy: {}", ns_policy.error_text()),
        );
    }
    // Results are cached by the literal level:version pair.
    let mut cache: Vec<(LevelVersion, Evaluation)> = Vec::with_capacity(3);
    let mut result = |lv: LevelVersion| -> Evaluation {
        if let Some((_, e)) = cache.iter().find(|(k, _)| *k == lv) {
            return e.clone();
        }
        let e = lv.evaluate(metadata, spec);
        cache.push((lv, e.clone()));
        e
    };
    let policy = ns_policy.policy;
    if let Some((resource, name)) = enforce_subject {
        decision
            .audit_annotations
            .insert("enforce-policy".to_owned(), policy.enforce.to_string());
        let enforced = result(policy.enforce);
        if !enforced.allowed() {
            let subject = if name.is_empty() {
                resource.to_owned()
            } else {
                format!("{resource} {}", go_quote(name))
            };
            decision.allowed = false;
            decision.status = Some(Status {
                code: 403,
                reason: "Forbidden",
                message: format!("{subject} is forbidden: {}", enforced.message()),
            });
        }
    }
    let audited = result(policy.audit);
    if !audited.allowed() {
        decision
            .audit_annotations
            .insert("audit-violations".to_owned(), would_violate(&audited));
    }
    if decision.allowed {
        let warned = result(policy.warn);
        if !warned.allowed() {
            decision.warnings.push(would_violate(&warned));
        }
    }
    decision
}

/// `would violate PodSecurity "<level>:<version>": <aggregated detail>`.
fn would_violate(evaluation: &Evaluation) -> String {
    format!(
        "would violate PodSecurity \"{}:{}\": {}",
        evaluation.level,
        evaluation.version,
        evaluation.aggregate_detail()
    )
}

/// An existing pod for the namespace dry run (§7.8).
#[derive(Clone, Copy, Debug)]
pub struct ExistingPod<'a> {
    pub name: &'a str,
    /// UID of the owner reference with `controller: true`, if any.
    pub controller_uid: Option<&'a str>,
    pub metadata: &'a ObjectMeta,
    pub spec: &'a PodSpec,
}

/// A pod as listed for the dry run, owned.
#[derive(Clone, Debug)]
pub struct ListedPod {
    pub name: String,
    /// UID of the owner reference with `controller: true`, if any.
    pub controller_uid: Option<String>,
    pub pod: PodTemplate,
}

/// How many existing pods a dry run evaluates at most.
pub const DRY_RUN_POD_LIMIT: usize = 3000;

/// A Namespace request (§7.7). `list_pods` lists the namespace's pods for the dry run (called
/// only when the enforce level tightens); `out_of_time` is asked after each evaluated pod
/// (the plugin's budget: 1 s, or half the request's remaining deadline).
pub fn admit_namespace(
    config: &Configuration,
    request: &Request<'_>,
    labels: &Labels,
    old_labels: Option<&Labels>,
    list_pods: &mut dyn FnMut() -> Result<Vec<ListedPod>, String>,
    out_of_time: &mut dyn FnMut() -> bool,
) -> Decision {
    if !request.subresource.is_empty() {
        return Decision::allow();
    }
    let name = request.name;
    let new = namespace_policy(labels, &config.defaults);
    let exempt = config.exemptions.namespace(name);
    let invalid = || {
        let message = format!("Namespace {} is invalid: {}", go_quote(name), new.error_text());
        Decision::deny(422, "Invalid", message)
    };
    let exemption_warning = |mut d: Decision| {
        if exempt {
            if let Some(w) = exemption_warning(name, labels, &new.policy, &config.defaults) {
                d.warnings.push(w);
            }
        }
        d
    };
    match (request.operation, old_labels) {
        (Operation::Update, Some(old_labels)) => {
            let old = namespace_policy(old_labels, &config.defaults);
            if !new.errors.is_empty() && new.errors != old.errors {
                return invalid();
            }
            let (before, after) = (old.policy.enforce, new.policy.enforce);
            let unchanged = before == after
                || after.level == Level::Privileged
                || (before.version == after.version && after.level <= before.level);
            if unchanged {
                return Decision::allow();
            }
            if exempt {
                return exemption_warning(Decision::allow());
            }
            let mut d = Decision::allow();
            d.warnings = match list_pods() {
                Ok(pods) => {
                    let views: Vec<ExistingPod<'_>> = pods
                        .iter()
                        .map(|listed| ExistingPod {
                            name: &listed.name,
                            controller_uid: listed.controller_uid.as_deref(),
                            metadata: &listed.pod.metadata,
                            spec: &listed.pod.spec,
                        })
                        .collect();
                    dry_run(name, after, &config.exemptions, &views, out_of_time)
                }
                Err(_) => vec!["failed to list pods while checking new PodSecurity enforce level".to_owned()],
            };
            d
        }
        _ => {
            if !new.errors.is_empty() {
                return invalid();
            }
            exemption_warning(Decision::allow())
        }
    }
}

/// `namespace "<name>" is exempt from Pod Security, and the policy (…) will be ignored`, when
/// the exempt namespace's labels ask for something the defaults do not already give.
fn exemption_warning(name: &str, labels: &Labels, policy: &Policy, defaults: &Policy) -> Option<String> {
    if policy.fully_privileged() || Mode::ALL.iter().all(|&m| policy.mode(m).equivalent(defaults.mode(m))) {
        return None;
    }
    let ignored: Vec<String> = Mode::ALL
        .iter()
        .filter(|&&m| {
            policy.mode(m).level != Level::Privileged
                && (labels.contains_key(&m.level_label()) || labels.contains_key(&m.version_label()))
        })
        .map(|&m| format!("{}={}", m.as_str(), policy.mode(m)))
        .collect();
    Some(format!(
        "namespace {} is exempt from Pod Security, and the policy ({}) will be ignored",
        go_quote(name),
        ignored.join(", ")
    ))
}

/// §7.8: the warnings for a namespace's existing pods against a new enforce level. Pods whose
/// runtimeClass is exempt are skipped; one pod per controller is evaluated first.
pub fn dry_run(
    namespace: &str,
    enforce: LevelVersion,
    exemptions: &Exemptions,
    pods: &[ExistingPod<'_>],
    out_of_time: &mut dyn FnMut() -> bool,
) -> Vec<String> {
    let candidates: Vec<&ExistingPod<'_>> = pods
        .iter()
        .filter(|p| !exemptions.runtime_class(p.spec.runtime_class_name.as_deref()))
        .collect();
    let mut seen_controllers = std::collections::HashSet::new();
    let (mut first, mut rest) = (Vec::new(), Vec::new());
    for pod in candidates {
        match pod.controller_uid {
            Some(uid) if !seen_controllers.insert(uid) => rest.push(pod),
            _ => first.push(pod),
        }
    }
    first.extend(rest);
    let total = first.len();
    // Aggregated reason -> (smallest pod name, count), in first-seen order.
    let mut groups: Vec<(String, String, usize)> = Vec::new();
    let mut checked = 0;
    for pod in first.iter().take(DRY_RUN_POD_LIMIT) {
        checked += 1;
        let evaluation = enforce.evaluate(pod.metadata, pod.spec);
        if !evaluation.allowed() {
            let reason = evaluation.aggregate_reason();
            match groups.iter_mut().find(|(r, _, _)| *r == reason) {
                Some((_, smallest, count)) => {
                    if pod.name < smallest.as_str() {
                        *smallest = pod.name.to_owned();
                    }
                    *count += 1;
                }
                None => groups.push((reason, pod.name.to_owned(), 1)),
            }
        }
        if out_of_time() {
            break;
        }
    }
    let mut warnings = Vec::new();
    if checked < total {
        warnings.push(format!(
            "new PodSecurity enforce level only checked against the first {checked} of {total} existing pods"
        ));
    }
    if !groups.is_empty() {
        warnings.push(format!(
            "existing pods in namespace {} violate the new PodSecurity enforce level {}",
            go_quote(namespace),
            go_quote(&enforce.to_string())
        ));
        let mut lines: Vec<String> = groups
            .into_iter()
            .map(|(reason, pod, count)| match count {
                1 => format!("{pod}: {reason}"),
                2 => format!("{pod} (and 1 other pod): {reason}"),
                n => format!("{pod} (and {} other pods): {reason}", n - 1),
            })
            .collect();
        lines.sort();
        warnings.extend(lines);
    }
    warnings
}

#[cfg(test)]
mod tests;
