//! # tailor-check: the `tailor check` engine
//!
//! Turns loaded Kubernetes objects into a [`Report`]: per object the strictest Pod Security
//! level it meets and what blocks the next one, and [`Finding`]s, each tied to a [`Rule`] of
//! the registry ([`rules`]) with severity, ATT&CK techniques, remediation and the line of the
//! offending field.
//!
//! Two kinds of analysis:
//! - per object ([`check_object`]), while the object's positions are at hand: Pod Security
//!   and the workload rules;
//! - across objects ([`analyse`]), over the [`Inventory`] of everything loaded together:
//!   RBAC, service accounts, network policies.
//!
//! Pure: no I/O, no async, no printing. It receives objects already parsed (by
//! `tailor-manifest`, or later from a cluster) and a way to map a field to its line, so it
//! does not depend on how or where objects were read. Rendering lives in [`render`] and
//! returns strings.

pub mod exemptions;
pub mod inventory;
pub mod render;
pub mod report;
pub mod rules;
pub mod seccomp_profiles;
#[cfg(test)]
pub(crate) mod testing;

pub use inventory::{Entry, Inventory, InventoryObject, LineTable};
pub use report::{Finding, InputError, NamespaceStanding, ObjectReport, PssSummary, Report, Severity, Summary};
pub use rules::Rule;

use serde_json::Value;
use tailor_kube::{
    container_at, container_named, ArcStr, ContainerList, FieldPath, KubeObject, PodTemplate, Segment, TypeMeta,
};
use tailor_pss::{Evaluation, Level, Version};

/// Maps a field path (relative to the object) to its 1-based line and column in the source.
pub trait Locate {
    fn locate(&self, path: &FieldPath) -> (u32, u32);
}

/// Where an object came from and what it is. Its strings are shared with its report and every
/// finding on it.
#[derive(Clone, Debug)]
pub struct ObjectSource {
    pub file: ArcStr,
    pub line: u32,
    pub type_meta: TypeMeta,
    pub namespace: Option<ArcStr>,
    pub name: Option<ArcStr>,
}

/// Settings of one `tailor check` run.
#[derive(Clone, Copy, Debug)]
pub struct CheckOptions {
    /// The Pod Security level findings are reported against.
    pub level: Level,
    pub version: Version,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            level: Level::Restricted,
            version: Version::Latest,
        }
    }
}

/// A rule's verdict on one object, before it is placed in the source.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule: &'static Rule,
    pub message: String,
    /// The offending field, relative to the object.
    pub field: FieldPath,
    pub container: Option<String>,
}

/// What a per-object workload rule sees.
pub struct WorkloadContext<'a> {
    pub source: &'a ObjectSource,
    /// The raw object, for fields outside the pod (e.g. the object's own annotations).
    pub object: &'a Value,
    /// The pod, after admission defaulting; `pod.path` is its place in the object, so a field
    /// of the pod is `pod.path.join(&FieldPath::keys("spec.hostPID"))`.
    pub pod: &'a PodTemplate,
}

/// One object after its per-object checks.
#[derive(Debug)]
pub struct CheckedObject {
    pub report: ObjectReport,
    pub findings: Vec<Finding>,
    /// What cross-object analyses need of it (`None` for kinds none of them looks at).
    pub inventory: Option<Entry>,
}

/// Checks one object. `pod` is its pod (after admission defaulting) when it carries one, and
/// `kube` its typed form when it is of a kind the cross-object analyses use.
pub fn check_object(
    options: &CheckOptions,
    source: &ObjectSource,
    value: &Value,
    pod: Option<PodTemplate>,
    kube: Option<KubeObject>,
    locate: &dyn Locate,
) -> CheckedObject {
    let mut report = ObjectReport::from_source(source);
    report.ignore_annotation = ignore_annotation(value, locate);
    let mut findings = Vec::new();
    let inventory = if let Some(pod) = pod {
        let baseline = tailor_pss::evaluate(Level::Baseline, options.version, &pod.metadata, &pod.spec);
        let restricted = tailor_pss::evaluate(Level::Restricted, options.version, &pod.metadata, &pod.spec);
        report.pss = Some(PssSummary::from_evaluations(&baseline, &restricted));
        let chosen = match options.level {
            Level::Privileged => None,
            Level::Baseline => Some(&baseline),
            Level::Restricted => Some(&restricted),
        };
        let mut hits = chosen.map(|evaluation| pss_hits(evaluation, &pod)).unwrap_or_default();
        hits.extend(workload_hits(&WorkloadContext {
            source,
            object: value,
            pod: &pod,
        }));
        findings.extend(hits.into_iter().map(|hit| {
            let image = hit.container.as_deref().and_then(|name| container_image(&pod, name));
            Finding {
                image,
                ..place(source, hit, locate)
            }
        }));
        let lines = LineTable::fields(&workload_fields(&pod), locate);
        Some(Entry::workload(source.clone(), pod, lines))
    } else {
        kube.map(|object| Entry::kube(source.clone(), object, LineTable::all_fields(value, locate)))
    };
    CheckedObject {
        report,
        findings,
        inventory,
    }
}

/// The hits of the per-object workload rules (all but Pod Security) on one pod-bearing object:
/// what the admission webhook's denied rules are picked from.
pub fn workload_hits(context: &WorkloadContext) -> Vec<Hit> {
    let mut hits = rules::workload::check(context);
    hits.extend(rules::gpu::check(context));
    hits
}

/// The object's own `tailor.dev/ignore` annotation and where it is written.
fn ignore_annotation(value: &Value, locate: &dyn Locate) -> Option<report::AnnotationValue> {
    let annotation = value
        .get("metadata")?
        .get("annotations")?
        .get(exemptions::IGNORE_ANNOTATION)?;
    let (line, column) = locate.locate(&FieldPath::keys("metadata.annotations").key(exemptions::IGNORE_ANNOTATION));
    Some(report::AnnotationValue {
        value: annotation.as_str().unwrap_or_default().to_owned(),
        line,
        column,
    })
}

/// The image of the container called `name` (in any of the three container lists).
pub fn container_image(pod: &PodTemplate, name: &str) -> Option<String> {
    let named = |list| container_named(&pod.spec, list, name);
    // Containers, then init containers; ephemeral containers only where those give no image.
    let declared = named(ContainerList::Regular).or_else(|| named(ContainerList::Init));
    declared
        .and_then(|c| c.image())
        .or_else(|| named(ContainerList::Ephemeral).and_then(|c| c.image()))
        .map(str::to_owned)
}

/// Fields of a workload that cross-object findings point at.
fn workload_fields(pod: &PodTemplate) -> Vec<FieldPath> {
    [
        "spec.serviceAccountName",
        "spec.automountServiceAccountToken",
        "metadata.labels",
        "spec",
    ]
    .into_iter()
    .map(FieldPath::keys)
    .chain(rules::gpu::analysed_fields(pod))
    .chain(rules::seccomp::analysed_fields(pod))
    .map(|f| pod.path.join(&f))
    .collect()
}

/// Runs the analyses across objects; returns findings with the index of their object.
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Finding)> {
    let mut hits: Vec<(usize, Hit)> = Vec::new();
    hits.extend(rules::rbac::analyse(inventory));
    hits.extend(rules::network::analyse(inventory));
    hits.extend(rules::gpu::analyse(inventory));
    hits.extend(rules::seccomp::analyse(inventory));
    hits.into_iter()
        .map(|(entry_index, hit)| {
            let entry = &inventory.entries[entry_index];
            let image = match (&entry.object, hit.container.as_deref()) {
                (InventoryObject::Workload(pod), Some(name)) => container_image(pod, name),
                _ => None,
            };
            (
                entry.object_index,
                Finding {
                    image,
                    ..place(&entry.source, hit, &entry.lines)
                },
            )
        })
        .collect()
}

impl Locate for LineTable {
    fn locate(&self, path: &FieldPath) -> (u32, u32) {
        LineTable::locate(self, path)
    }
}

/// One hit per forbidding Pod Security check, at its first offending field.
fn pss_hits(evaluation: &Evaluation, pod: &PodTemplate) -> Vec<Hit> {
    evaluation
        .violations
        .iter()
        .map(|violation| {
            let message = if violation.detail.is_empty() {
                violation.reason.clone()
            } else {
                format!("{} ({})", violation.reason, violation.detail)
            };
            let field = violation
                .fields
                .first()
                .map(|f| pod.path.join(f))
                .unwrap_or_else(|| pod.path.clone());
            Hit {
                rule: rules::pss::rule_for_check(violation.check),
                message,
                field,
                container: single_container(pod, &violation.fields),
            }
        })
        .collect()
}

/// Places a hit in its source: the finding as reported.
fn place(source: &ObjectSource, hit: Hit, locate: &dyn Locate) -> Finding {
    let (line, column) = locate.locate(&hit.field);
    let rule = hit.rule;
    // A report can hold ~100k findings: no spare capacity left over from formatting.
    let mut message = hit.message;
    message.shrink_to_fit();
    let mut field = hit.field.to_string();
    field.shrink_to_fit();
    Finding {
        rule: rule.id,
        severity: rule.severity,
        title: rule.title,
        message,
        remediation: rule.remediation,
        attack: rule.attack,
        file: source.file.clone(),
        line,
        column,
        field,
        api_version: source.type_meta.api_version.clone(),
        kind: source.type_meta.kind.clone(),
        namespace: source.namespace.clone(),
        name: source.name.clone(),
        container: hit.container,
        image: None,
        suppressed: false,
        suppression: None,
        object: 0,
    }
}

/// The container a violation concerns, when its fields (relative to the pod) all lie in one
/// container.
fn single_container(pod: &PodTemplate, fields: &[FieldPath]) -> Option<String> {
    let mut found: Option<&str> = None;
    for field in fields {
        let name = match field.segments() {
            [Segment::Key(spec), Segment::Key(list), Segment::Index(i), ..] if spec == "spec" => {
                ContainerList::from_key(list).and_then(|list| container_at(&pod.spec, list, *i))
            }
            _ => None,
        }
        .map(|c| c.name());
        match (found, name) {
            (_, None) => return None,
            (None, Some(n)) => found = Some(n),
            (Some(prev), Some(n)) if prev != n => return None,
            _ => {}
        }
    }
    found.map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing;

    #[test]
    fn pss_findings_name_rule_container_and_field() {
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ml"},
            "spec":{"containers":[{"name":"a","image":"x","securityContext":{"privileged":true}},{"name":"b","image":"y"}]}});
        let findings = testing::findings(&[pod]);
        let privileged = findings
            .iter()
            .find(|f| f.rule == "PSS-privileged")
            .expect("privileged is reported");
        assert_eq!(privileged.container.as_deref(), Some("a"));
        assert_eq!(privileged.field, "spec.containers[0].securityContext.privileged");
        assert_eq!(privileged.namespace.as_deref(), Some("ml"));
        // Violations spanning containers name none.
        let escalation = findings
            .iter()
            .find(|f| f.rule == "PSS-allowPrivilegeEscalation")
            .unwrap();
        assert_eq!(escalation.container, None);
    }

    #[test]
    fn checked_objects_record_their_strictest_level() {
        let checked = testing::check_all(&[
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
            "spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}}}}),
        ]);
        let pss = checked[0].report.pss.as_ref().unwrap();
        assert_eq!(pss.level, tailor_pss::Level::Privileged);
        assert_eq!(pss.blocking_baseline, ["host namespaces"]);
    }
}
