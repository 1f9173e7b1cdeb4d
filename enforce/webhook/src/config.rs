//! The webhook configuration file (YAML):
//!
//! ```yaml
//! podSecurity:                 # as a PodSecurityConfiguration's defaults and exemptions
//!   defaults: {enforce: baseline, enforce-version: latest, warn: restricted}
//!   exemptions: {usernames: [], runtimeClasses: [kata], namespaces: [kube-system]}
//! deny: [TLR-runtime-socket, TLR-gpu-env-leak]   # Tailor rules that deny a Pod
//! inject:                      # first matching policy wins
//!   - name: inference
//!     namespaces: [ml]         # optional; all namespaces when absent
//!     podLabels: {app: triton} # optional; every label must match
//!     images: ["nvcr.io/*"]    # optional globs; some container image must match
//!     profile:
//!       seccomp: RuntimeDefault          # or {localhost: profiles/triton.json}
//!       capabilities: {add: [NET_BIND_SERVICE]}   # drop ALL is always injected
//!       allowPrivilegeEscalation: false
//!       runAsNonRoot: true
//!       automountServiceAccountToken: false
//! ```
//!
//! Strict: unknown fields, unknown rule IDs, bad levels/versions and bad globs are errors
//! naming the file, line and field.

use std::collections::BTreeMap;

use serde::Deserialize;
use tailor_pss::admission::{Configuration, Exemptions, LevelVersion, Policy};
use tailor_pss::{Level, Version};

/// The parsed configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub pod_security: Configuration,
    pub deny: Vec<&'static tailor_check::Rule>,
    pub inject: Vec<InjectionPolicy>,
}

/// Which pods get which profile.
#[derive(Clone, Debug)]
pub struct InjectionPolicy {
    pub name: String,
    pub namespaces: Option<Vec<String>>,
    pub pod_labels: BTreeMap<String, String>,
    pub images: Vec<glob::Pattern>,
    pub profile: Profile,
}

/// What is injected. Every field is optional: absent means "leave as the pod has it".
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub seccomp: Option<Seccomp>,
    #[serde(default)]
    pub capabilities: Option<CapabilityProfile>,
    #[serde(default)]
    pub allow_privilege_escalation: Option<bool>,
    #[serde(default)]
    pub run_as_non_root: Option<bool>,
    #[serde(default)]
    pub automount_service_account_token: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Seccomp {
    RuntimeDefault,
    #[serde(rename = "localhost")]
    Localhost(String),
}

/// `drop: [ALL]` plus the adds the workload needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityProfile {
    #[serde(default)]
    pub add: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    pod_security: RawPodSecurity,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    inject: Vec<RawPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPodSecurity {
    #[serde(default)]
    defaults: BTreeMap<String, String>,
    #[serde(default)]
    exemptions: RawExemptions,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawExemptions {
    #[serde(default)]
    usernames: Vec<String>,
    #[serde(default)]
    runtime_classes: Vec<String>,
    #[serde(default)]
    namespaces: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawPolicy {
    name: String,
    #[serde(default)]
    namespaces: Option<Vec<String>>,
    #[serde(default)]
    pod_labels: BTreeMap<String, String>,
    #[serde(default)]
    images: Vec<String>,
    profile: Profile,
}

impl Config {
    /// Reads the configuration from YAML text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Config, Vec<String>> {
        let mut documents = tailor_manifest::parse_stream(text).into_iter();
        let document = match documents.next() {
            None => return Ok(Config::default()),
            Some(Err(e)) => return Err(vec![format!("{file}:{e}")]),
            Some(Ok(d)) => d,
        };
        if documents.next().is_some() {
            return Err(vec![format!("{file}: expected one YAML document")]);
        }
        let at = |path: &str| {
            let fields = tailor_kube::FieldPath::keys(path);
            let p = document.positions.locate(&fields);
            format!("{file}:{}:{}", p.line, p.column)
        };
        let raw: RawConfig = serde_path_to_error::deserialize(&document.value).map_err(|e| {
            let path = e.path().to_string();
            vec![format!("{}: {path}: {}", at(&path), e.inner())]
        })?;
        let mut errors = Vec::new();
        let mut defaults = Policy::default();
        for (key, value) in &raw.pod_security.defaults {
            let field = format!("podSecurity.defaults.{key}");
            let (mode, is_version) = match key.strip_suffix("-version") {
                Some(mode) => (mode, true),
                None => (key.as_str(), false),
            };
            let slot: &mut LevelVersion = match mode {
                "enforce" => &mut defaults.enforce,
                "audit" => &mut defaults.audit,
                "warn" => &mut defaults.warn,
                _ => {
                    errors.push(format!("{}: {field}: unknown field", at(&field)));
                    continue;
                }
            };
            let parsed = if is_version {
                value
                    .parse::<Version>()
                    .map(|v| slot.version = v)
                    .map_err(|e| e.to_string())
            } else {
                value
                    .parse::<Level>()
                    .map(|l| slot.level = l)
                    .map_err(|e| e.to_string())
            };
            if let Err(message) = parsed {
                errors.push(format!("{}: {field}: invalid value {value:?}: {message}", at(&field)));
            }
        }
        let pod_security = Configuration {
            defaults,
            exemptions: Exemptions {
                usernames: raw.pod_security.exemptions.usernames,
                runtime_classes: raw.pod_security.exemptions.runtime_classes,
                namespaces: raw.pod_security.exemptions.namespaces,
            },
        };
        if let Err(e) = pod_security.validate() {
            errors.extend(
                e.into_iter()
                    .map(|m| format!("{}: podSecurity.{m}", at("podSecurity.exemptions"))),
            );
        }
        let mut deny = Vec::new();
        for (i, id) in raw.deny.iter().enumerate() {
            match tailor_check::rules::by_id(id) {
                Some(rule) => deny.push(rule),
                None => errors.push(format!(
                    "{}: deny[{i}]: unknown rule {id:?} (see `tailor rules`)",
                    at("deny")
                )),
            }
        }
        let mut inject = Vec::new();
        for (i, policy) in raw.inject.into_iter().enumerate() {
            let mut images = Vec::new();
            for (j, image) in policy.images.iter().enumerate() {
                match glob::Pattern::new(image) {
                    Ok(p) => images.push(p),
                    Err(e) => errors.push(format!("{}: inject[{i}].images[{j}]: {e}", at("inject"))),
                }
            }
            inject.push(InjectionPolicy {
                name: policy.name,
                namespaces: policy.namespaces,
                pod_labels: policy.pod_labels,
                images,
                profile: policy.profile,
            });
        }
        if errors.is_empty() {
            Ok(Config {
                pod_security,
                deny,
                inject,
            })
        } else {
            Err(errors)
        }
    }

    /// The first injection policy matching a pod in `namespace` with these labels and images.
    pub fn injection_for<'a>(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        images: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<&InjectionPolicy> {
        self.inject.iter().find(|p| {
            p.namespaces.as_ref().is_none_or(|n| n.iter().any(|n| n == namespace))
                && p.pod_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
                && (p.images.is_empty() || images.clone().any(|image| p.images.iter().any(|g| g.matches(image))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
podSecurity:
  defaults: {enforce: baseline, warn: restricted, warn-version: v1.30}
  exemptions: {namespaces: [kube-system], runtimeClasses: [kata]}
deny: [TLR-runtime-socket, TLR-gpu-env-leak]
inject:
  - name: inference
    namespaces: [ml]
    podLabels: {app: triton}
    images: ["nvcr.io/*"]
    profile:
      seccomp: {localhost: profiles/triton.json}
      capabilities: {add: [NET_BIND_SERVICE]}
      allowPrivilegeEscalation: false
      runAsNonRoot: true
"#;
        let config = Config::parse("c.yaml", text).unwrap();
        assert_eq!(config.pod_security.defaults.enforce.level, Level::Baseline);
        assert_eq!(config.pod_security.defaults.warn.version, Version::V1(30));
        assert_eq!(config.deny.len(), 2);
        let p = &config.inject[0];
        assert_eq!(
            p.profile.seccomp,
            Some(Seccomp::Localhost("profiles/triton.json".into()))
        );
        let labels = BTreeMap::from([("app".to_owned(), "triton".to_owned())]);
        assert!(config
            .injection_for("ml", &labels, ["nvcr.io/nim:1"].into_iter())
            .is_some());
        assert!(config
            .injection_for("ml", &labels, ["docker.io/x"].into_iter())
            .is_none());
        assert!(config
            .injection_for("web", &labels, ["nvcr.io/nim:1"].into_iter())
            .is_none());
        assert!(config
            .injection_for("ml", &BTreeMap::new(), ["nvcr.io/nim:1"].into_iter())
            .is_none());
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let errors = Config::parse("c.yaml", "deny: [TLR-nope]\n").unwrap_err();
        assert_eq!(
            errors,
            vec!["c.yaml:1:1: deny[0]: unknown rule \"TLR-nope\" (see `tailor rules`)"]
        );
        let errors = Config::parse("c.yaml", "podSecurity:\n  defaults:\n    enforce: strict\n").unwrap_err();
        assert!(
            errors[0].starts_with("c.yaml:3:5: podSecurity.defaults.enforce: invalid value"),
            "{errors:?}"
        );
        let errors = Config::parse("c.yaml", "inject:\n  - name: a\n    profile: {sekcomp: x}\n").unwrap_err();
        assert!(
            errors[0].contains("inject[0].profile") && errors[0].contains("unknown field"),
            "{errors:?}"
        );
        assert!(Config::parse("c.yaml", "").unwrap().inject.is_empty());
    }
}
