//! The report model: what `tailor check -o json` prints (schema `tailor.check/v1`, fixed by
//! `spec/cli.md`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use tailor_kube::ArcStr;
use tailor_pss::{Evaluation, Level};

use crate::exemptions::Suppression;
use crate::ObjectSource;

pub const SCHEMA: &str = "tailor.check/v1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str() == s)
            .ok_or_else(|| format!("unknown severity {s:?}: must be one of info, low, medium, high, critical"))
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// Per-rule constants point into the rule table: one copy each, not one per finding
    /// (tens of thousands of findings on a large cluster).
    pub title: &'static str,
    pub message: String,
    pub remediation: &'static str,
    pub attack: &'static [&'static str],
    pub file: ArcStr,
    pub line: u32,
    pub column: u32,
    /// The offending field, e.g. `spec.template.spec.containers[0].securityContext.privileged`.
    pub field: String,
    #[serde(rename = "apiVersion")]
    pub api_version: ArcStr,
    pub kind: ArcStr,
    pub namespace: Option<ArcStr>,
    pub name: Option<ArcStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The image of `container`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub suppressed: bool,
    /// The exemption that suppresses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// Index of the object in [`Report::objects`] (`usize::MAX` for findings about the
    /// configuration rather than an object).
    #[serde(skip)]
    pub object: usize,
}

impl Finding {
    pub fn suppress(&mut self, suppression: Suppression) {
        self.suppressed = true;
        self.suppression = Some(suppression);
    }
}

/// The Pod Security standing of a pod-bearing object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PssSummary {
    /// The strictest level the object meets.
    #[serde(serialize_with = "level_name")]
    pub level: Level,
    /// Reasons that keep a `privileged` object from `baseline`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking_baseline: Vec<String>,
    /// Reasons that keep a `baseline` object from `restricted`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking_restricted: Vec<String>,
}

impl PssSummary {
    pub fn from_evaluations(baseline: &Evaluation, restricted: &Evaluation) -> PssSummary {
        let reasons = |e: &Evaluation| e.reasons().into_iter().map(str::to_owned).collect::<Vec<_>>();
        if !baseline.allowed() {
            PssSummary {
                level: Level::Privileged,
                blocking_baseline: reasons(baseline),
                blocking_restricted: Vec::new(),
            }
        } else if !restricted.allowed() {
            PssSummary {
                level: Level::Baseline,
                blocking_baseline: Vec::new(),
                blocking_restricted: reasons(restricted),
            }
        } else {
            PssSummary {
                level: Level::Restricted,
                blocking_baseline: Vec::new(),
                blocking_restricted: Vec::new(),
            }
        }
    }
}

fn level_name<S: serde::Serializer>(level: &Level, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(level.as_str())
}

fn level_counts<S: serde::Serializer>(counts: &BTreeMap<Level, usize>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(counts.iter().map(|(level, n)| (level.as_str(), n)))
}

#[derive(Clone, Debug, Serialize)]
pub struct ObjectReport {
    pub file: ArcStr,
    pub line: u32,
    #[serde(rename = "apiVersion")]
    pub api_version: ArcStr,
    pub kind: ArcStr,
    pub namespace: Option<ArcStr>,
    pub name: Option<ArcStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pss: Option<PssSummary>,
    /// Its `tailor.dev/ignore` annotation, if any.
    #[serde(skip)]
    pub ignore_annotation: Option<AnnotationValue>,
}

/// An annotation's value and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationValue {
    pub value: String,
    pub line: u32,
    pub column: u32,
}

impl ObjectReport {
    pub fn from_source(source: &ObjectSource) -> ObjectReport {
        ObjectReport {
            file: source.file.clone(),
            line: source.line,
            api_version: source.type_meta.api_version.clone(),
            kind: source.type_meta.kind.clone(),
            namespace: source.namespace.clone(),
            name: source.name.clone(),
            pss: None,
            ignore_annotation: None,
        }
    }
}

/// Input that could not be read, parsed or decoded (exit code 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for InputError {
    /// `file:line:col: message`, or `file: message` for a problem with no position (an
    /// unreadable file).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl InputError {
    /// The same problem worded as a warning (it did not stop evaluation).
    pub fn as_warning(&self) -> String {
        let this = InputError {
            message: format!("warning: {}", self.message),
            ..self.clone()
        };
        this.to_string()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Kubernetes objects loaded.
    pub objects: usize,
    /// Objects that carry a pod and were evaluated against Pod Security.
    pub workloads: usize,
    /// Findings not suppressed.
    pub findings: usize,
    pub suppressed: usize,
    pub errors: usize,
    /// Documents skipped because they are not Kubernetes objects.
    pub skipped: usize,
    /// Findings by severity (unsuppressed).
    pub by_severity: BTreeMap<Severity, usize>,
    /// Workloads by the strictest Pod Security level they meet.
    #[serde(serialize_with = "level_counts")]
    pub pss_levels: BTreeMap<Level, usize>,
}

/// What a namespace could enforce today: the strictest level every workload in it meets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamespaceStanding {
    /// `(unset)` for workloads without a namespace: they land wherever they are applied.
    pub namespace: String,
    pub workloads: usize,
    #[serde(serialize_with = "level_name")]
    pub level: Level,
    /// The reasons that keep the namespace from the next level (over its workloads at `level`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blocking: Vec<String>,
}

impl NamespaceStanding {
    /// One standing per namespace, sorted by name.
    pub fn of(objects: &[ObjectReport]) -> Vec<NamespaceStanding> {
        let mut namespaces: BTreeMap<&str, (usize, Level, std::collections::BTreeSet<&str>)> = BTreeMap::new();
        for object in objects {
            let Some(pss) = &object.pss else { continue };
            let namespace = object.namespace.as_deref().unwrap_or("(unset)");
            let (workloads, level, blocking) =
                namespaces
                    .entry(namespace)
                    .or_insert((0, Level::Restricted, Default::default()));
            *workloads += 1;
            if pss.level < *level {
                *level = pss.level;
                blocking.clear();
            }
            if pss.level == *level {
                blocking.extend(
                    pss.blocking_baseline
                        .iter()
                        .chain(&pss.blocking_restricted)
                        .map(String::as_str),
                );
            }
        }
        namespaces
            .into_iter()
            .map(|(namespace, (workloads, level, blocking))| NamespaceStanding {
                namespace: namespace.to_owned(),
                workloads,
                level,
                blocking: blocking.into_iter().map(str::to_owned).collect(),
            })
            .collect()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub summary: Summary,
    /// Per namespace, the strictest Pod Security level all its workloads meet.
    pub namespaces: Vec<NamespaceStanding>,
    pub objects: Vec<ObjectReport>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    /// With `--cluster`: what the credentials could not list (serialised only then, as
    /// `spec/cli.md` adds it to the cluster form of the document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_assessed: Option<Vec<NotAssessed>>,
    /// With `--cluster`: per namespace read, its Pod Security labels today and what a stricter
    /// `enforce` label would break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_dry_run: Option<Vec<NamespaceDryRun>>,
}

/// A namespace's Pod Security labels against its workloads, as the API server would judge a
/// label change (`spec/pss-checks.md` §6, §7.8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NamespaceDryRun {
    pub namespace: String,
    /// The policy its labels set today (`level:version`), after the API server's fallbacks.
    pub enforce: String,
    pub audit: String,
    pub warn: String,
    /// Invalid Pod Security labels, as the API server's field errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub label_errors: Vec<String>,
    /// Workloads the enforced level already rejects (they predate the label): the API server's
    /// warnings for today's level.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violating_today: Vec<String>,
    /// For each level stricter than today's, the API server's warnings were `enforce` set to it
    /// (none: nothing would break).
    pub stricter: Vec<EnforceDryRun>,
    /// The labels to apply: enforce the strictest level every workload meets (never looser
    /// than today), warn and audit at restricted, versions pinned.
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnforceDryRun {
    /// `level:version`.
    pub enforce: String,
    pub warnings: Vec<String>,
}

/// A kind the scan could not read (in one namespace, or cluster-wide), and the API server's
/// reason: reported, and an input error for the exit code, never a silent pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotAssessed {
    pub kind: String,
    pub namespace: Option<String>,
    pub reason: String,
}

impl fmt::Display for NotAssessed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "not assessed: {} in namespace {ns}: {}", self.kind, self.reason),
            None => write!(f, "not assessed: {} (cluster-wide): {}", self.kind, self.reason),
        }
    }
}

impl Report {
    /// Assembles the report and its summary from each object with its own findings (in input
    /// order) and the cross-object findings with their object's index; `skipped` counts
    /// non-Kubernetes documents.
    pub fn new(
        checked: Vec<(ObjectReport, Vec<Finding>)>,
        cross_object: Vec<(usize, Finding)>,
        errors: Vec<InputError>,
        skipped: usize,
    ) -> Report {
        // Each object's cross-object findings join its own; exact capacities and per-object
        // sorting keep a large cluster's findings from being held twice (growth, sort buffer).
        let mut cross_by_object: Vec<Vec<Finding>> = Vec::new();
        cross_by_object.resize_with(checked.len(), Vec::new);
        // An index past the objects (none is expected) still reports its finding, last.
        let mut unplaced = Vec::new();
        for (index, finding) in cross_object {
            match cross_by_object.get_mut(index) {
                Some(cross) => cross.push(finding),
                None => unplaced.push(Finding {
                    object: index,
                    ..finding
                }),
            }
        }
        let total = checked.iter().map(|(_, own)| own.len()).sum::<usize>()
            + cross_by_object.iter().map(Vec::len).sum::<usize>()
            + unplaced.len();
        let mut objects = Vec::with_capacity(checked.len());
        let mut findings = Vec::with_capacity(total);
        for (index, ((object, own), cross)) in checked.into_iter().zip(cross_by_object).enumerate() {
            objects.push(object);
            let start = findings.len();
            findings.extend(own.into_iter().chain(cross).map(|finding| Finding {
                object: index,
                ..finding
            }));
            // Stable order: by object, then by line within it.
            findings[start..].sort_by_key(|f| (f.line, f.column));
        }
        findings.append(&mut unplaced);
        let mut report = Report {
            schema: SCHEMA,
            namespaces: NamespaceStanding::of(&objects),
            summary: Summary {
                skipped,
                ..Summary::default()
            },
            objects,
            findings,
            errors,
            not_assessed: None,
            namespace_dry_run: None,
        };
        report.refresh_summary();
        report
    }

    /// Recounts the summary (after exemptions changed what is suppressed, say).
    pub fn refresh_summary(&mut self) {
        let mut summary = Summary {
            objects: self.objects.len(),
            errors: self.errors.len(),
            skipped: self.summary.skipped,
            ..Summary::default()
        };
        for object in &self.objects {
            if let Some(pss) = &object.pss {
                summary.workloads += 1;
                *summary.pss_levels.entry(pss.level).or_default() += 1;
            }
        }
        for finding in &self.findings {
            if finding.suppressed {
                summary.suppressed += 1;
            } else {
                summary.findings += 1;
                *summary.by_severity.entry(finding.severity).or_default() += 1;
            }
        }
        self.summary = summary;
    }

    /// Applies exemptions: marks suppressed findings, adds findings about expired exemptions
    /// and the errors of inline annotations, and recounts.
    pub fn apply_exemptions(&mut self, exemptions: &crate::exemptions::Exemptions, today: time::Date) {
        let (expired, errors) = exemptions.apply(&self.objects, &mut self.findings, today);
        self.findings.extend(expired);
        self.errors.extend(errors);
        self.refresh_summary();
    }

    /// The highest severity among unsuppressed findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().filter(|f| !f.suppressed).map(|f| f.severity).max()
    }
}
