//! Exemptions: findings that a team has reviewed and accepted, with a reason.
//!
//! Two sources:
//! - the configuration file (`.tailor.yaml`, or `--config`): exemptions by rule ID and by
//!   kind, namespace, name, container and image globs, each with a required `reason` and an
//!   optional `expires` date. An expired exemption suppresses nothing and is itself reported
//!   (`TLR-exemption-expired`), so exemptions cannot silently outlive their review.
//! - inline annotations on an object: `tailor.dev/ignore: "ID[,ID] -- reason"`, which an
//!   administrator can switch off with `inlineIgnores: false` in the configuration.
//!
//! An unknown rule ID anywhere is an input error, never a silent pass. Suppressed findings
//! stay in the report, marked `suppressed` with the exemption's reason, and are counted.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;

use crate::report::{Finding, InputError, ObjectReport};
use crate::rules::{self, Rule};
use crate::Locate;

/// The object annotation that carries inline exemptions.
pub const IGNORE_ANNOTATION: &str = "tailor.dev/ignore";

/// The configuration file's schema.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default = "default_true")]
    inline_ignores: bool,
    #[serde(default)]
    exemptions: Vec<ExemptionEntry>,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionEntry {
    rules: Vec<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    container: Option<String>,
    image: Option<String>,
    reason: String,
    expires: Option<String>,
}

/// Why a finding is suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `config` or `annotation`.
    pub source: &'static str,
    pub reason: String,
}

#[derive(Debug)]
struct Exemption {
    rules: Vec<&'static Rule>,
    kind: Option<glob::Pattern>,
    namespace: Option<glob::Pattern>,
    name: Option<glob::Pattern>,
    container: Option<glob::Pattern>,
    image: Option<glob::Pattern>,
    reason: String,
    expires: Option<Date>,
    file: String,
    line: u32,
    column: u32,
}

/// The exemptions in force for a run.
#[derive(Debug)]
pub struct Exemptions {
    entries: Vec<Exemption>,
    inline_ignores: bool,
}

impl Default for Exemptions {
    fn default() -> Self {
        Exemptions {
            entries: Vec::new(),
            inline_ignores: true,
        }
    }
}

impl Exemptions {
    /// Reads a parsed configuration document; `file` and `locate` place its errors.
    pub fn from_config(file: &str, document: &Value, locate: &dyn Locate) -> Result<Exemptions, Vec<InputError>> {
        let error = |path: &tailor_kube::FieldPath, message: String| {
            let (line, column) = locate.locate(path);
            InputError {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        };
        let config: ConfigFile = serde_path_to_error::deserialize(document).map_err(|err| {
            let path = tailor_kube::FieldPath::new().join_serde(err.path());
            vec![error(&path, format!("{path}: {}", err.inner()))]
        })?;
        if let Some(api_version) = config.api_version.as_deref().filter(|v| *v != CONFIG_API_VERSION) {
            return Err(vec![error(
                &keys("apiVersion"),
                format!("unsupported apiVersion {api_version:?}: expected {CONFIG_API_VERSION:?}"),
            )]);
        }
        if let Some(kind) = config.kind.as_deref().filter(|k| *k != "Config") {
            return Err(vec![error(
                &keys("kind"),
                format!("unsupported kind {kind:?}: expected \"Config\""),
            )]);
        }
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for (i, entry) in config.exemptions.into_iter().enumerate() {
            let at = |field: &str| keys("exemptions").index(i).join(&keys(field));
            let mut rules = Vec::new();
            for (j, id) in entry.rules.iter().enumerate() {
                match rules::by_id(id) {
                    Some(rule) => rules.push(rule),
                    None => errors.push(error(&at("rules").index(j), unknown_rule(id))),
                }
            }
            if entry.rules.is_empty() {
                errors.push(error(
                    &at("rules"),
                    "an exemption must name at least one rule ID".to_owned(),
                ));
            }
            if entry.reason.trim().is_empty() {
                errors.push(error(&at("reason"), "an exemption needs a non-empty reason".to_owned()));
            }
            let mut pattern = |field: &str, value: Option<String>| {
                value.and_then(|v| match glob::Pattern::new(&v) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        errors.push(error(&at(field), format!("invalid glob {v:?}: {e}")));
                        None
                    }
                })
            };
            let exemption = Exemption {
                kind: pattern("kind", entry.kind),
                namespace: pattern("namespace", entry.namespace),
                name: pattern("name", entry.name),
                container: pattern("container", entry.container),
                image: pattern("image", entry.image),
                rules,
                reason: entry.reason,
                expires: None,
                file: file.to_owned(),
                line: locate.locate(&keys("exemptions").index(i)).0,
                column: locate.locate(&keys("exemptions").index(i)).1,
            };
            let expires = match entry.expires.as_deref().map(parse_date) {
                Some(Err(message)) => {
                    errors.push(error(&at("expires"), message));
                    None
                }
                Some(Ok(date)) => Some(date),
                None => None,
            };
            entries.push(Exemption { expires, ..exemption });
        }
        if errors.is_empty() {
            Ok(Exemptions {
                entries,
                inline_ignores: config.inline_ignores,
            })
        } else {
            Err(errors)
        }
    }

    /// Marks the findings that an exemption covers as suppressed. Returns the findings about
    /// expired exemptions and the errors in inline annotations.
    pub fn apply(
        &self,
        objects: &[ObjectReport],
        findings: &mut [Finding],
        today: Date,
    ) -> (Vec<Finding>, Vec<InputError>) {
        let mut errors = Vec::new();
        let inline: Vec<Option<InlineIgnore>> = objects
            .iter()
            .map(|object| {
                let annotation = object.ignore_annotation.as_ref().filter(|_| self.inline_ignores)?;
                match InlineIgnore::parse(&annotation.value) {
                    Ok(ignore) => Some(ignore),
                    Err(message) => {
                        errors.push(InputError {
                            file: object.file.to_string(),
                            line: annotation.line,
                            column: annotation.column,
                            message: format!("annotation {IGNORE_ANNOTATION}: {message}"),
                        });
                        None
                    }
                }
            })
            .collect();
        for finding in findings.iter_mut() {
            let by_annotation = inline
                .get(finding.object)
                .and_then(Option::as_ref)
                .filter(|i| i.rules.contains(&finding.rule));
            if let Some(ignore) = by_annotation {
                finding.suppress(Suppression {
                    source: "annotation",
                    reason: ignore.reason.clone(),
                });
            } else if let Some(exemption) = self.entries.iter().find(|e| !e.expired(today) && e.covers(finding)) {
                finding.suppress(Suppression {
                    source: "config",
                    reason: exemption.reason.clone(),
                });
            }
        }
        let expired = self
            .entries
            .iter()
            .filter(|e| e.expired(today))
            .map(Exemption::expired_finding)
            .collect();
        (expired, errors)
    }
}

pub const CONFIG_API_VERSION: &str = "tailor.dev/v1alpha1";

impl Exemption {
    fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|date| date < today)
    }

    fn covers(&self, finding: &Finding) -> bool {
        let matches = |pattern: &Option<glob::Pattern>, value: Option<&str>| match pattern {
            None => true,
            Some(pattern) => value.is_some_and(|v| pattern.matches(v)),
        };
        self.rules.iter().any(|rule| rule.id == finding.rule)
            && matches(&self.kind, Some(&finding.kind))
            && matches(&self.namespace, Some(finding.namespace.as_deref().unwrap_or("")))
            && matches(&self.name, finding.name.as_deref())
            && matches(&self.container, finding.container.as_deref())
            && matches(&self.image, finding.image.as_deref())
    }

    fn expired_finding(&self) -> Finding {
        let rule = &EXPIRED_RULE;
        let ids: Vec<&str> = self.rules.iter().map(|r| r.id).collect();
        Finding {
            rule: rule.id,
            severity: rule.severity,
            title: rule.title,
            message: format!(
                "the exemption for {} expired on {} and no longer applies (reason given: {})",
                ids.join(", "),
                self.expires.map(|d| d.to_string()).unwrap_or_default(),
                self.reason
            ),
            remediation: rule.remediation,
            attack: &[],
            file: self.file.as_str().into(),
            line: self.line,
            column: self.column,
            field: String::new(),
            api_version: CONFIG_API_VERSION.into(),
            kind: "Config".into(),
            namespace: None,
            name: None,
            container: None,
            image: None,
            suppressed: false,
            suppression: None,
            object: usize::MAX,
        }
    }
}

/// The rule reported for an expired exemption.
pub static EXPIRED_RULE: Rule = Rule {
    id: "TLR-exemption-expired",
    title: "Expired exemption",
    severity: crate::Severity::Medium,
    rationale: "An exemption is a reviewed, time-boxed risk acceptance; once it expires the risk must be reviewed again rather than stay accepted silently.",
    remediation: "Fix the findings it covered, or review the risk again and set a new `expires` date with an updated reason.",
    attack: &[],
    ms_threat_matrix: None,
};

/// An inline `tailor.dev/ignore` annotation: `ID[,ID...] -- reason`.
#[derive(Debug, PartialEq, Eq)]
struct InlineIgnore {
    rules: Vec<&'static str>,
    reason: String,
}

impl InlineIgnore {
    fn parse(value: &str) -> Result<InlineIgnore, String> {
        let (ids, reason) = value
            .split_once("--")
            .ok_or_else(|| format!("{value:?} has no reason: write \"ID[,ID] -- reason\""))?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(format!("{value:?} has an empty reason: write \"ID[,ID] -- reason\""));
        }
        let mut rules = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            rules.push(rules::by_id(id).ok_or_else(|| unknown_rule(id))?.id);
        }
        if rules.is_empty() {
            return Err(format!("{value:?} names no rule ID"));
        }
        Ok(InlineIgnore {
            rules,
            reason: reason.to_owned(),
        })
    }
}

fn unknown_rule(id: &str) -> String {
    format!("unknown rule ID {id:?} (`tailor rules` lists them)")
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("invalid date {text:?} ({e}): expected YYYY-MM-DD"))
}

fn keys(dotted: &str) -> tailor_kube::FieldPath {
    tailor_kube::FieldPath::keys(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    struct NoLines;
    impl Locate for NoLines {
        fn locate(&self, path: &tailor_kube::FieldPath) -> (u32, u32) {
            (path.segments().len() as u32 + 1, 1)
        }
    }

    fn finding(
        rule: &'static str,
        kind: &str,
        namespace: &str,
        name: &str,
        container: Option<&str>,
        image: Option<&str>,
    ) -> Finding {
        Finding {
            rule,
            severity: crate::Severity::High,
            title: "",
            message: String::new(),
            remediation: "",
            attack: &[],
            file: "app.yaml".into(),
            line: 10,
            column: 1,
            field: String::new(),
            api_version: "apps/v1".into(),
            kind: kind.into(),
            namespace: Some(namespace.into()),
            name: Some(name.into()),
            container: container.map(str::to_owned),
            image: image.map(str::to_owned),
            suppressed: false,
            suppression: None,
            object: 0,
        }
    }

    fn object(annotation: Option<&str>) -> ObjectReport {
        let mut o = ObjectReport {
            file: "app.yaml".into(),
            line: 1,
            api_version: "apps/v1".into(),
            kind: "DaemonSet".into(),
            namespace: Some("gpu-operator".into()),
            name: Some("nvidia-driver".into()),
            pss: None,
            ignore_annotation: None,
        };
        o.ignore_annotation = annotation.map(|v| crate::report::AnnotationValue {
            value: v.into(),
            line: 7,
            column: 5,
        });
        o
    }

    #[test]
    fn config_exemptions_match_by_rule_and_globs_and_keep_findings_counted() {
        let config = json!({"apiVersion": CONFIG_API_VERSION, "kind": "Config", "exemptions": [
            {"rules": ["PSS-privileged"], "kind": "DaemonSet", "namespace": "gpu-*", "name": "nvidia-driver*",
             "container": "driver", "image": "nvcr.io/nvidia/driver:*", "reason": "loads kernel modules"}]});
        let exemptions = Exemptions::from_config(".tailor.yaml", &config, &NoLines).unwrap();
        let mut findings = vec![
            finding(
                "PSS-privileged",
                "DaemonSet",
                "gpu-operator",
                "nvidia-driver-daemonset",
                Some("driver"),
                Some("nvcr.io/nvidia/driver:550"),
            ),
            finding(
                "PSS-privileged",
                "DaemonSet",
                "gpu-operator",
                "nvidia-driver-daemonset",
                Some("toolkit"),
                Some("nvcr.io/nvidia/toolkit:1"),
            ),
            finding(
                "PSS-hostNamespaces",
                "DaemonSet",
                "gpu-operator",
                "nvidia-driver-daemonset",
                Some("driver"),
                Some("nvcr.io/nvidia/driver:550"),
            ),
        ];
        let (expired, errors) = exemptions.apply(&[object(None)], &mut findings, date!(2026 - 11 - 23));
        assert!(expired.is_empty() && errors.is_empty());
        assert!(findings[0].suppressed);
        assert_eq!(findings[0].suppression.as_ref().unwrap().reason, "loads kernel modules");
        assert!(!findings[1].suppressed, "other container");
        assert!(!findings[2].suppressed, "other rule");
    }

    #[test]
    fn expired_exemptions_suppress_nothing_and_are_findings() {
        let config =
            json!({"exemptions": [{"rules": ["PSS-privileged"], "reason": "temporary", "expires": "2026-01-31"}]});
        let exemptions = Exemptions::from_config(".tailor.yaml", &config, &NoLines).unwrap();
        let mut findings = vec![finding("PSS-privileged", "Pod", "a", "b", None, None)];
        let (expired, _) = exemptions.apply(&[object(None)], &mut findings, date!(2026 - 11 - 23));
        assert!(!findings[0].suppressed);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].rule, "TLR-exemption-expired");
        assert!(
            expired[0].message.contains("expired on 2026-01-31"),
            "{}",
            expired[0].message
        );
        // The day it expires it still holds.
        let (expired, _) = exemptions.apply(&[object(None)], &mut findings, date!(2026 - 01 - 31));
        assert!(expired.is_empty() && findings[0].suppressed);
    }

    #[test]
    fn unknown_rule_ids_missing_reasons_and_unknown_fields_are_errors_with_positions() {
        let config = json!({"exemptions": [{"rules": ["PSS-privileged", "PSS-nope"], "reason": " "}]});
        let errors = Exemptions::from_config(".tailor.yaml", &config, &NoLines).unwrap_err();
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            messages.iter().any(|m| m.contains("unknown rule ID \"PSS-nope\"")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("non-empty reason")), "{messages:?}");
        let typo = json!({"exemptions": [{"rules": ["PSS-privileged"], "reason": "r", "namespaces": "x"}]});
        let errors = Exemptions::from_config(".tailor.yaml", &typo, &NoLines).unwrap_err();
        assert!(
            errors[0].message.contains("unknown field `namespaces`"),
            "{}",
            errors[0].message
        );
        let bad_date = json!({"exemptions": [{"rules": ["PSS-privileged"], "reason": "r", "expires": "31/01/2027"}]});
        assert!(
            Exemptions::from_config(".tailor.yaml", &bad_date, &NoLines).unwrap_err()[0]
                .message
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn inline_annotations_suppress_their_object_unless_switched_off() {
        let mut findings = vec![finding(
            "PSS-privileged",
            "DaemonSet",
            "gpu-operator",
            "nvidia-driver",
            None,
            None,
        )];
        let objects = [object(Some(
            "PSS-privileged, PSS-hostNamespaces -- driver needs the host kernel",
        ))];
        let (_, errors) = Exemptions::default().apply(&objects, &mut findings, date!(2026 - 11 - 23));
        assert!(errors.is_empty());
        assert_eq!(
            findings[0].suppression,
            Some(Suppression {
                source: "annotation",
                reason: "driver needs the host kernel".into()
            })
        );

        let off = Exemptions::from_config(".tailor.yaml", &json!({"inlineIgnores": false}), &NoLines).unwrap();
        let mut findings = vec![finding(
            "PSS-privileged",
            "DaemonSet",
            "gpu-operator",
            "nvidia-driver",
            None,
            None,
        )];
        off.apply(&objects, &mut findings, date!(2026 - 11 - 23));
        assert!(!findings[0].suppressed);
    }

    #[test]
    fn bad_inline_annotations_are_errors_at_their_line() {
        for (value, expected) in [
            ("PSS-privileged", "has no reason"),
            ("PSS-privileged --  ", "empty reason"),
            ("PSS-typo -- because", "unknown rule ID \"PSS-typo\""),
        ] {
            let mut findings = vec![finding(
                "PSS-privileged",
                "DaemonSet",
                "gpu-operator",
                "nvidia-driver",
                None,
                None,
            )];
            let (_, errors) = Exemptions::default().apply(&[object(Some(value))], &mut findings, date!(2026 - 11 - 23));
            assert_eq!(errors.len(), 1, "{value}");
            assert!(errors[0].message.contains(expected), "{}", errors[0].message);
            assert_eq!((errors[0].line, errors[0].column), (7, 5));
            assert!(!findings[0].suppressed);
        }
    }
}
