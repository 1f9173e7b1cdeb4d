//! # tailor-harden: each workload's least-privilege version (`tailor harden`)
//!
//! Given the objects of an application (and, as evidence, RBAC objects and the seccomp
//! profiles `tailor record` wrote), [`harden`] returns every object in its hardened form, the
//! objects to add (a dedicated ServiceAccount per workload that ran as `default`,
//! NetworkPolicies, namespaces with Pod Security labels) and, per workload, what changed, what
//! to verify and, where the target level is out of reach, a reasoned exemption.
//!
//! Per workload, the smallest change that reaches the level is tried first ([`pod::Mode::Full`]);
//! the result is re-evaluated with `tailor-pss` exactly as admission would. If it still falls
//! short (host namespaces, host paths, privileged node plumbing — nothing Tailor may remove
//! without changing what the workload does), the workload gets the compensating controls
//! instead ([`pod::Mode::Compensating`]) and an exemption: a `tailor.dev/ignore` annotation
//! naming the Pod Security checks it still fails with the reason (honoured by `tailor check`),
//! the rationale in `tailor.dev/harden-rationale`, and a namespace whose `enforce` label is the
//! level its workloads reach — the narrowest Pod Security admission exemption, so GPU
//! plumbing belongs in a namespace of its own.
//!
//! Edits are made on each object's JSON value, never through a typed round trip, so every
//! field not related to security (unknown ones included) stays exactly as written.
//!
//! Evidence layout (`--evidence DIR`): `DIR/seccomp/<namespace>/<workload>/<container>.json`
//! holds a recorded OCI seccomp profile (namespace `default` for objects without one); the
//! container then gets the `Localhost` profile `tailor/<namespace>/<workload>/<container>.json`,
//! which must be installed under the kubelet's seccomp root. Any manifest under `DIR`
//! (Roles, bindings, ServiceAccounts) counts for the RBAC permission resolver.
//!
//! Pure: no I/O, no async, no printing. Depends on `tailor-kube`, `tailor-pss` and
//! `tailor-check` (the GPU classifier and the RBAC permission resolver); never on the CLI.

pub mod network;
pub mod patch;
pub mod pod;
mod value;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{json, Value};
use tailor_check::rules::gpu::{classify, Classification, Role};
use tailor_check::rules::rbac::permissions::Permissions;
use tailor_check::rules::rbac::service_accounts::{self, UNUSED_TOKEN};
use tailor_check::rules::rbac::workloads::{service_account_name, Workloads};
use tailor_check::{Entry, Inventory, LineTable, ObjectSource};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::k8s_openapi::api::networking::v1::NetworkPolicy;
use tailor_kube::{ArcStr, DecodeError, KubeObject, PodBearingKind, PodTemplate};
use tailor_pss::admission::{self, LevelVersion};
use tailor_pss::{Level, Version, Violation};

use crate::pod::{Edits, Mode, PodPlan};
use crate::value::{lookup_mut, object_entry};

/// The annotation `tailor check` honours as an exemption (`RULES -- reason`).
pub use tailor_check::exemptions::IGNORE_ANNOTATION;
/// Why a workload keeps what its exemption covers, in full.
pub const RATIONALE_ANNOTATION: &str = "tailor.dev/harden-rationale";
/// The namespace the objects without one are applied to, for evidence paths.
pub const DEFAULT_NAMESPACE: &str = "default";

/// One object read from the inputs.
pub struct Input {
    pub source: ObjectSource,
    pub value: Value,
    /// Its pod after admission defaulting, for pod-bearing kinds.
    pub pod: Option<PodTemplate>,
    pub kube: Option<KubeObject>,
    /// Read from `--evidence`: informs the analysis, is not itself hardened or printed.
    pub evidence: bool,
}

impl Input {
    /// Decodes an object as the loader does (its pod after admission defaulting, its typed
    /// form for the kinds the cross-object analyses use).
    pub fn decode(source: ObjectSource, value: Value, evidence: bool) -> Result<Input, DecodeError> {
        let pod = match PodBearingKind::classify(&source.type_meta) {
            Some(kind) => PodTemplate::extract(kind, &value)?.map(|mut pod| {
                apply_admission_defaults(&mut pod);
                pod
            }),
            None => None,
        };
        let kube = KubeObject::decode(&source.type_meta, &value)?;
        Ok(Input {
            source,
            value,
            pod,
            kube,
            evidence,
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub level: Level,
    pub version: Version,
}

/// What `--evidence` provided besides manifests.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Recorded seccomp profiles, by (namespace, workload, container).
    pub seccomp: BTreeSet<(String, String, String)>,
}

impl Evidence {
    /// The kubelet-relative `Localhost` profile of a recorded container.
    pub fn localhost_profile(&self, namespace: Option<&str>, workload: &str, container: &str) -> Option<String> {
        let namespace = namespace.unwrap_or(DEFAULT_NAMESPACE);
        self.seccomp
            .contains(&(namespace.to_owned(), workload.to_owned(), container.to_owned()))
            .then(|| localhost_path(namespace, workload, container))
    }
}

/// `tailor/<namespace>/<workload>/<container>.json`: where a recorded profile lives, under
/// `--evidence DIR/seccomp/` and under the kubelet's seccomp root.
pub fn localhost_path(namespace: &str, workload: &str, container: &str) -> String {
    format!("tailor/{namespace}/{workload}/{container}.json")
}

/// An input object and its hardened form (equal when nothing changed).
#[derive(Clone, Debug)]
pub struct Output {
    pub source: ObjectSource,
    pub original: Value,
    pub hardened: Value,
}

impl Output {
    pub fn changed(&self) -> bool {
        self.original != self.hardened
    }

    /// The JSON patch from the original to the hardened object.
    pub fn json_patch(&self) -> Vec<Value> {
        patch::json_patch(&self.original, &self.hardened)
    }
}

/// Why a workload stays below the target level, and what stands in for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    /// The `PSS-<check>` rules it still fails at the target level.
    pub rules: Vec<String>,
    /// One line per failing check: what it is, and why Tailor kept it.
    pub rationale: Vec<String>,
    /// The compensating controls applied.
    pub compensating: Vec<String>,
}

/// What happened to one workload.
#[derive(Clone, Debug)]
pub struct WorkloadOutcome {
    /// Index of the workload in [`Hardened::objects`].
    pub object: usize,
    pub before: Level,
    pub after: Level,
    pub role: String,
    pub edits: Edits,
    pub exemption: Option<Exemption>,
}

#[derive(Clone, Debug, Default)]
pub struct Hardened {
    /// Every input object that is not evidence, in input order.
    pub objects: Vec<Output>,
    /// Objects to add: ServiceAccounts, Namespaces, NetworkPolicies.
    pub generated: Vec<Value>,
    pub workloads: Vec<WorkloadOutcome>,
    /// Notes on the application as a whole (e.g. a namespace left unnamed).
    pub notes: Vec<String>,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub workloads: usize,
    pub restricted: usize,
    pub baseline: usize,
    pub privileged: usize,
    pub exempted: usize,
}

impl Hardened {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary {
            workloads: self.workloads.len(),
            ..Summary::default()
        };
        for outcome in &self.workloads {
            match outcome.after {
                Level::Restricted => summary.restricted += 1,
                Level::Baseline => summary.baseline += 1,
                Level::Privileged => summary.privileged += 1,
            }
            summary.exempted += usize::from(outcome.exemption.is_some());
        }
        summary
    }
}

pub fn harden(inputs: Vec<Input>, evidence: &Evidence, options: &Options) -> Hardened {
    let (inventory, input_of_entry) = inventory(&inputs);
    let permissions = Permissions::resolve(&inventory);
    let workloads = Workloads::index(&inventory, &permissions);
    // A token no binding uses goes, but only where the inputs can tell: for `default`
    // (which nobody should bind), or when RBAC objects were loaded at all; a named account
    // whose bindings live elsewhere keeps its token.
    let rbac_loaded = inputs.iter().any(|i| {
        matches!(
            i.kube,
            Some(
                KubeObject::Role(_)
                    | KubeObject::ClusterRole(_)
                    | KubeObject::RoleBinding(_)
                    | KubeObject::ClusterRoleBinding(_)
            )
        )
    });
    let unused_token: HashSet<usize> = service_accounts::analyse(&inventory, &permissions, &workloads)
        .into_iter()
        .filter(|(_, hit)| hit.rule.id == UNUSED_TOKEN.id)
        .map(|(entry, _)| input_of_entry[entry])
        .collect();
    let token_unknown: HashSet<usize> = workloads
        .all
        .iter()
        .map(|w| input_of_entry[w.entry])
        .filter(|index| unused_token.contains(index) && !rbac_loaded)
        .filter(|&index| {
            inputs[index]
                .pod
                .as_ref()
                .is_some_and(|pod| service_account_name(pod) != "default")
        })
        .collect();
    let unused_token: HashSet<usize> = unused_token.difference(&token_unknown).copied().collect();
    // Per input: the service account it runs as, and whether its account is `default`
    // without any binding (so a dedicated account loses nothing).
    let mut default_unbound: HashSet<usize> = HashSet::new();
    for workload in &workloads.all {
        if workload.service_account == "default"
            && workload
                .subjects()
                .iter()
                .all(|s| permissions.grants_naming(s).next().is_none())
        {
            default_unbound.insert(input_of_entry[workload.entry]);
        }
    }
    let existing_accounts: HashSet<(Option<ArcStr>, ArcStr)> = inputs
        .iter()
        .filter(|i| matches!(i.kube, Some(KubeObject::ServiceAccount(_))))
        .filter_map(|i| Some((i.source.namespace.clone(), i.source.name.clone()?)))
        .collect();

    let mut hardened = Hardened::default();
    let mut accounts = Vec::new();
    let mut policies_by_namespace: BTreeMap<Option<ArcStr>, Vec<Value>> = BTreeMap::new();
    let mut levels_by_namespace: BTreeMap<Option<ArcStr>, Level> = BTreeMap::new();
    let services: Vec<(&ObjectSource, &tailor_kube::k8s_openapi::api::core::v1::Service)> = inputs
        .iter()
        .filter_map(|i| match &i.kube {
            Some(KubeObject::Service(service)) => Some((&i.source, service)),
            _ => None,
        })
        .collect();
    let existing_policies: Vec<(&Option<ArcStr>, &NetworkPolicy)> = inputs
        .iter()
        .filter_map(|i| match &i.kube {
            Some(KubeObject::NetworkPolicy(policy)) => Some((&i.source.namespace, policy)),
            _ => None,
        })
        .collect();
    let existing_default_deny: HashSet<Option<ArcStr>> = existing_policies
        .iter()
        .filter(|(_, policy)| is_default_deny(policy))
        .map(|(namespace, _)| (*namespace).clone())
        .collect();

    for (index, input) in inputs.iter().enumerate() {
        if input.evidence {
            continue;
        }
        let object = hardened.objects.len();
        let mut output = Output {
            source: input.source.clone(),
            original: input.value.clone(),
            hardened: input.value.clone(),
        };
        let Some(pod) = &input.pod else {
            hardened.objects.push(output);
            continue;
        };
        let name = input.source.name.as_deref();
        let namespace = input.source.namespace.as_deref();
        let account = match name {
            Some(name)
                if default_unbound.contains(&index)
                    && !existing_accounts.contains(&(input.source.namespace.clone(), name.into())) =>
            {
                Some(name)
            }
            _ => None,
        };
        let classification = classify(pod, name);
        let localhost = |container: &str| name.and_then(|n| evidence.localhost_profile(namespace, n, container));
        let plan = |mode| PodPlan {
            mode,
            classification: &classification,
            localhost_profile: &localhost,
            drop_token: unused_token.contains(&index),
            service_account: account,
        };
        let before = level_of(pod, options.version);
        let mut notes = Vec::new();
        if token_unknown.contains(&index) {
            notes.push(format!(
                "it runs as ServiceAccount {} and no RBAC objects are among the inputs: its token is kept; pass its \
                 Roles and bindings (or --evidence) so Tailor can tell whether it needs API access",
                service_account_name(pod)
            ));
        }
        let (value, mut edits) = harden_object(&input.value, pod, &plan(Mode::Full));
        // The checks that even the full hardening leaves failing: they block the target.
        let mut blocking = Vec::new();
        let (value, mut edits, after) = match reevaluate(&value, pod, options) {
            Some((level, violations)) if violations.is_empty() => (value, std::mem::take(&mut edits), level),
            full => {
                blocking = full.map(|(_, violations)| violations).unwrap_or_default();
                let (value, edits) = harden_object(&input.value, pod, &plan(Mode::Compensating));
                let after = reevaluate(&value, pod, options).map_or(before, |(level, _)| level);
                (value, edits, after)
            }
        };
        edits.verify.extend(notes);
        output.hardened = value;
        let violations = reevaluate(&output.hardened, pod, options)
            .map(|(_, violations)| violations)
            .unwrap_or_default();
        let exemption =
            (!violations.is_empty()).then(|| exemption(&violations, &blocking, &classification, &edits, options));
        if let Some(exemption) = &exemption {
            annotate(&mut output.hardened, exemption, &classification);
        }
        if let Some(account) = account {
            let mut metadata = network::metadata(account, namespace);
            metadata["labels"]["app.kubernetes.io/name"] = json!(account);
            let mut object = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata});
            if unused_token.contains(&index) {
                object["automountServiceAccountToken"] = json!(false);
            }
            accounts.push(object);
        }
        let level = levels_by_namespace
            .entry(input.source.namespace.clone())
            .or_insert(Level::Restricted);
        *level = (*level).min(after);
        if let Some(name) = name {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            if labels.is_empty() {
                edits.verify.push(
                    "its pods carry no labels, so no NetworkPolicy can select them alone: the namespace's \
                     default deny blocks all their traffic until they get labels"
                        .to_owned(),
                );
            } else if let Some(policy) = existing_policies
                .iter()
                .find(|(ns, policy)| **ns == input.source.namespace && allows_traffic_to(policy, &labels))
            {
                // Policies add up: a generated one could only widen what the user allows.
                edits.verify.push(format!(
                    "NetworkPolicy {} already selects its pods: kept as written, no policy generated",
                    policy.1.metadata.name.as_deref().unwrap_or("<unnamed>")
                ));
            } else {
                let same_namespace: Vec<_> = services
                    .iter()
                    .filter(|(source, _)| source.namespace == input.source.namespace)
                    .map(|(_, service)| *service)
                    .collect();
                let policy = network::workload_policy(name, namespace, &labels, &same_namespace);
                let declared: Vec<(Option<String>, i32)> = tailor_kube::containers(&pod.spec)
                    .flat_map(|c| c.ports().iter())
                    .map(|p| (p.name.clone(), p.container_port))
                    .collect();
                let closed = network::unexposed_ports(&policy, &declared);
                if !closed.is_empty() {
                    edits.verify.push(format!(
                        "container port(s) {} have no Service: ingress to them stays denied (allow your \
                         scraper or clients explicitly)",
                        closed.join(", ")
                    ));
                }
                if host_network(pod) {
                    edits
                        .verify
                        .push("it runs on the host network, where NetworkPolicies do not apply".to_owned());
                }
                policies_by_namespace
                    .entry(input.source.namespace.clone())
                    .or_default()
                    .push(policy);
            }
        }
        hardened.workloads.push(WorkloadOutcome {
            object,
            before,
            after,
            role: classification.describe(),
            edits,
            exemption,
        });
        hardened.objects.push(output);
    }

    // Namespace labels: enforce what every workload of the namespace now meets.
    let mut labelled = HashSet::new();
    for output in hardened.objects.iter_mut() {
        if output.source.type_meta.kind != "Namespace" || output.source.type_meta.api_version != "v1" {
            continue;
        }
        let name = output.source.name.clone();
        if let Some(level) = levels_by_namespace.get(&name) {
            set_pss_labels(&mut output.hardened, *level, options);
            labelled.insert(name);
        }
    }
    let mut namespaces = Vec::new();
    for (namespace, level) in &levels_by_namespace {
        match namespace {
            Some(name) if !labelled.contains(namespace) => {
                let mut object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
                set_pss_labels(&mut object, *level, options);
                namespaces.push(object);
            }
            Some(_) => {}
            None => hardened.notes.push(format!(
                "workloads without a namespace reach {level}: label the namespace you apply them to with \
                 pod-security.kubernetes.io/enforce={level}"
            )),
        }
    }
    let mut policies = Vec::new();
    for (namespace, workload_policies) in policies_by_namespace {
        if !existing_default_deny.contains(&namespace) {
            policies.push(network::default_deny(namespace.as_deref()));
        }
        policies.extend(workload_policies);
    }
    hardened.generated = namespaces.into_iter().chain(accounts).chain(policies).collect();
    hardened
}

/// The inventory the cross-object analyses need, and for each of its entries the input it
/// came from.
fn inventory(inputs: &[Input]) -> (Inventory, Vec<usize>) {
    let mut inventory = Inventory::default();
    let mut input_of_entry = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let source = input.source.clone();
        let entry = match (&input.pod, &input.kube) {
            (Some(pod), _) => Entry::workload(source, pod.clone(), LineTable::default()),
            (None, Some(kube)) => Entry::kube(source, kube.clone(), LineTable::default()),
            (None, None) => continue,
        };
        inventory.entries.push(Entry {
            object_index: index,
            ..entry
        });
        input_of_entry.push(index);
    }
    (inventory, input_of_entry)
}

/// The object with its pod hardened according to `plan`.
fn harden_object(object: &Value, pod: &PodTemplate, plan: &PodPlan) -> (Value, Edits) {
    let mut object = object.clone();
    let edits = match lookup_mut(&mut object, &pod.path) {
        Some(pod_value) => pod::harden(pod_value, pod, plan),
        None => Edits::default(),
    };
    (object, edits)
}

/// The strictest level the object's pod meets, and what it still fails at the target level,
/// as admission sees it (after defaulting).
fn reevaluate(object: &Value, pod: &PodTemplate, options: &Options) -> Option<(Level, Vec<Violation>)> {
    let mut pod = PodTemplate::extract(pod.kind, object).ok()??;
    apply_admission_defaults(&mut pod);
    let level = level_of(&pod, options.version);
    let target = tailor_pss::evaluate(options.level, options.version, &pod.metadata, &pod.spec);
    Some((level, target.violations))
}

fn level_of(pod: &PodTemplate, version: Version) -> Level {
    tailor_pss::strictest_level(version, &pod.metadata, &pod.spec).0
}

fn host_network(pod: &PodTemplate) -> bool {
    pod.spec.host_network == Some(true)
}

/// A policy that selects every pod of its namespace and allows nothing.
fn is_default_deny(policy: &NetworkPolicy) -> bool {
    policy.spec.as_ref().is_some_and(|spec| {
        spec.pod_selector.as_ref().is_none_or(|selector| {
            selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
                && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
        }) && spec.ingress.as_ref().is_none_or(Vec::is_empty)
            && spec.egress.as_ref().is_none_or(Vec::is_empty)
    })
}

/// Whether a policy with rules selects pods with `labels` (a selector with expressions is
/// assumed to, so that Tailor never adds to a policy the user wrote).
fn allows_traffic_to(policy: &NetworkPolicy, labels: &BTreeMap<String, String>) -> bool {
    let Some(spec) = policy.spec.as_ref() else {
        return false;
    };
    let has_rules =
        spec.ingress.as_ref().is_some_and(|r| !r.is_empty()) || spec.egress.as_ref().is_some_and(|r| !r.is_empty());
    let selects = spec.pod_selector.as_ref().is_none_or(|selector| {
        selector.match_expressions.as_ref().is_some_and(|e| !e.is_empty())
            || selector
                .match_labels
                .iter()
                .flatten()
                .all(|(k, v)| labels.get(k) == Some(v))
    });
    has_rules && selects
}

/// The namespace's Pod Security labels: `enforce` what its workloads reach, `warn` and
/// `audit` the target level, all at the chosen version.
fn set_pss_labels(namespace: &mut Value, level: Level, options: &Options) {
    let Some(map) = namespace.as_object_mut() else {
        return;
    };
    let target = LevelVersion::new(options.level, options.version);
    let policy = admission::Policy {
        enforce: LevelVersion::new(level, options.version),
        audit: target,
        warn: target,
    };
    let labels = object_entry(object_entry(map, "metadata"), "labels");
    for (key, value) in policy.to_labels() {
        labels.insert(key, json!(value));
    }
}

/// The exemption of a workload that still fails `violations` after its compensating controls.
/// `blocking` are the checks that the full hardening could not fix; the others fail only
/// because, the target being out of reach, the workload got compensating controls instead.
fn exemption(
    violations: &[Violation],
    blocking: &[Violation],
    classification: &Classification,
    edits: &Edits,
    options: &Options,
) -> Exemption {
    let mut rules: Vec<String> = violations.iter().map(|v| format!("PSS-{}", v.check)).collect();
    rules.dedup();
    let blockers: Vec<&str> = blocking.iter().map(|v| v.reason.as_str()).collect();
    let mut rationale: Vec<String> = violations
        .iter()
        .map(|v| {
            let why = if blocking.iter().any(|b| b.check == v.check) {
                why_kept(v.check).to_owned()
            } else {
                format!(
                    "left as written: {} stays out of reach ({}), and this setting alone could break a workload \
                     that needs the host without reaching the level",
                    options.level,
                    blockers.join(", ")
                )
            };
            format!("{} ({}): {why}", v.reason, v.detail)
        })
        .collect();
    if let Role::Provider(component) = classification.role {
        rationale.push(format!(
            "{}: {}. Narrowest setup: {}",
            classification.describe(),
            component.needs(classification.vendor),
            component.narrowest()
        ));
    }
    rationale.push(
        "the namespace's enforce label is set to the level this workload reaches: keep it in a namespace of its \
         own (or with workloads of the same level) so that no other pod inherits the exemption"
            .to_owned(),
    );
    Exemption {
        rules,
        rationale,
        compensating: edits.changes.clone(),
    }
}

/// Why Tailor leaves a failing check to an exemption instead of changing the manifest.
fn why_kept(check: &str) -> &'static str {
    match check {
        "privileged" => "Tailor removes privileged mode only where the workload is known not to need it (GPU consumers, GPU providers their vendors ship unprivileged); nothing in this manifest shows that it can do without",
        "allowPrivilegeEscalation" => "a privileged container, or one with CAP_SYS_ADMIN, can always escalate: the API rejects allowPrivilegeEscalation: false there",
        "hostNamespaces" => "sharing the host's namespaces is how a node agent sees the node; removing it changes what the workload does",
        "hostPathVolumes" | "restrictedVolumes" => "the volumes are the workload's data and stay as written; restricted allows only configMap, secret, emptyDir, projected, downwardAPI, PVC, CSI and ephemeral volumes",
        "hostPorts" => "the workload serves on the node's ports; a Service would replace them",
        "capabilities_baseline" | "capabilities_restricted" => "the manifest asks for these capabilities; drop them once the workload is shown to run without them",
        "runAsNonRoot" | "runAsUser" => "the manifest declares that it runs as root; run it as a non-root UID once the image allows",
        "appArmorProfile" | "seLinuxOptions" | "procMount" | "sysctls" | "windowsHostProcess" => "the manifest sets it explicitly for the workload's own needs",
        _ => "Tailor cannot change it without changing what the workload does",
    }
}

/// Marks the object with its exemption: the rules `tailor check` then reports as suppressed,
/// with the reason, and the full rationale.
fn annotate(object: &mut Value, exemption: &Exemption, classification: &Classification) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let annotations = object_entry(object_entry(map, "metadata"), "annotations");
    let reason = match classification.role {
        Role::Provider(_) => format!(
            "{}; compensating controls applied by tailor harden",
            classification.describe()
        ),
        _ => "needs host access or privileges the target level forbids; compensating controls applied by tailor harden"
            .to_owned(),
    };
    annotations.insert(
        IGNORE_ANNOTATION.to_owned(),
        json!(format!(
            "{} -- {}",
            exemption.rules.join(","),
            reason.replace("--", "-")
        )),
    );
    annotations.insert(RATIONALE_ANNOTATION.to_owned(), json!(exemption.rationale.join("\n")));
}
