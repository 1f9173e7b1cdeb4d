//! `tailor check -o sarif`: SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDEs).
//!
//! One run; the driver lists every rule of the registry with its full description, help
//! (rationale and fix), `security-severity` (the number GitHub ranks alerts by) and ATT&CK
//! technique IDs in `properties.tags`. Each finding is a result pointing at the line and
//! column of the offending field, by a URI relative to the source root (`%SRCROOT%`), so
//! alerts land on the checkout's file. Suppressed findings stay, with a SARIF suppression
//! (`external` for the configuration file, `inSource` for an annotation), so that code
//! scanning shows them as dismissed rather than forgetting them.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, PhysicalLocation,
    PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Suppression, Tool, ToolComponent,
};
use tailor_check::{Finding, Report, Rule, Severity};

use crate::SourcePaths;

/// The base ID result URIs are relative to.
pub const SOURCE_ROOT: &str = "%SRCROOT%";
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/tailor-sec/tailor";

/// The SARIF log of a report.
pub fn log(report: &Report, paths: &SourcePaths) -> Sarif {
    let rules: Vec<&'static Rule> = tailor_check::rules::all().collect();
    let rule_index: HashMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let driver = ToolComponent::builder()
        .name("Tailor")
        .full_name(format!("Tailor {}", env!("CARGO_PKG_VERSION")))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules.iter().map(|rule| descriptor(rule)).collect::<Vec<_>>())
        .build();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|finding| result(finding, rule_index.get(finding.rule).copied(), paths))
        .collect();
    let root_uri = format!(
        "file://{}/",
        crate::percent_encode_path(&paths.root.display().to_string())
    );
    let mut base_ids = BTreeMap::new();
    base_ids.insert(
        SOURCE_ROOT.to_owned(),
        ArtifactLocation::builder()
            .uri(root_uri)
            .description(text(
                "The repository root (or the directory Tailor ran in outside a repository).",
            ))
            .build(),
    );
    let invocation = Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .original_uri_base_ids(base_ids)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// Writes [`log`] as pretty JSON.
pub fn write(report: &Report, paths: &SourcePaths, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report, paths))?;
    out.write_all(b"\n")
}

/// GitHub's ranking number: above 9 is critical, 7 to 8.9 high, 4 to 6.9 medium, below 4 low.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn result_level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn text(message: impl Into<String>) -> Message {
    Message::builder().text(message.into()).build()
}

fn multiformat(plain: String, markdown: String) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(plain)
        .markdown(markdown)
        .build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let mut tags = vec!["security".to_owned(), "kubernetes".to_owned()];
    tags.extend(rule.attack.iter().map(|t| t.to_string()));
    tags.extend(rule.ms_threat_matrix.map(str::to_owned));
    let mut properties = BTreeMap::new();
    properties.insert("security-severity".to_owned(), json!(security_severity(rule.severity)));
    properties.insert("severity".to_owned(), json!(rule.severity.as_str()));
    let techniques: Vec<String> = rule
        .attack
        .iter()
        .map(|id| match tailor_check::rules::attack::name(id) {
            Some(name) => format!("{id} ({name})"),
            None => id.to_string(),
        })
        .collect();
    let attack_line = if techniques.is_empty() {
        String::new()
    } else {
        format!("\n\nMITRE ATT&CK: {}.", techniques.join(", "))
    };
    let help_text = format!("{}\n\nFix: {}{attack_line}", rule.rationale, rule.remediation);
    let help_markdown = format!(
        "**{}** ({})\n\n{}\n\n**Fix:** {}{attack_line}",
        rule.title, rule.severity, rule.rationale, rule.remediation
    );
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(pascal_case(rule.title))
        .short_description(multiformat(rule.title.to_owned(), rule.title.to_owned()))
        .full_description(multiformat(rule.rationale.to_owned(), rule.rationale.to_owned()))
        .help(multiformat(help_text, help_markdown))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(properties)
                .build(),
        )
        .build()
}

/// `Container runtime socket mounted` → `ContainerRuntimeSocketMounted` (SARIF's rule names
/// are identifiers).
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

fn result(finding: &Finding, rule_index: Option<usize>, paths: &SourcePaths) -> SarifResult {
    let mut region = Region::builder().build();
    if finding.line > 0 {
        region.start_line = Some(finding.line.into());
        if finding.column > 0 {
            region.start_column = Some(finding.column.into());
        }
    }
    let physical = PhysicalLocation::builder()
        .artifact_location(
            ArtifactLocation::builder()
                .uri(paths.uri(&finding.file))
                .uri_base_id(SOURCE_ROOT)
                .build(),
        )
        .region(region)
        .build();
    let logical = LogicalLocation::builder()
        .name(crate::object_name(finding))
        .fully_qualified_name(qualified_field(finding))
        .kind("object")
        .build();
    let location = Location::builder()
        .physical_location(physical)
        .logical_locations(vec![logical])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("tailorFinding/v1".to_owned(), fingerprint(finding));
    let mut properties = BTreeMap::new();
    properties.insert("severity".to_owned(), json!(finding.severity.as_str()));
    if let Some(container) = &finding.container {
        properties.insert("container".to_owned(), json!(container));
    }
    if let Some(image) = &finding.image {
        properties.insert("image".to_owned(), json!(image));
    }
    properties.insert("field".to_owned(), json!(finding.field));
    let mut result = SarifResult::builder()
        .rule_id(finding.rule)
        .level(result_level(finding.severity))
        .message(text(result_message(finding)))
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(PropertyBag::builder().additional_properties(properties).build())
        .build();
    result.rule_index = rule_index.map(|i| i as i64);
    if let Some(suppression) = &finding.suppression {
        let kind = if suppression.source == "annotation" {
            "inSource"
        } else {
            "external"
        };
        result.suppressions = Some(vec![Suppression::builder()
            .kind(json!(kind))
            .status(json!("accepted"))
            .justification(suppression.reason.clone())
            .build()]);
    }
    result
}

fn result_message(finding: &Finding) -> String {
    let container = finding
        .container
        .as_deref()
        .map(|c| format!(", container {c}"))
        .unwrap_or_default();
    let message = finding.message.trim_end_matches('.');
    format!("{}{container}: {message}.", crate::object_name(finding))
}

/// `Kind/namespace/name/field`: stable across edits that move lines.
fn qualified_field(finding: &Finding) -> String {
    format!(
        "{}/{}/{}/{}",
        finding.kind,
        finding.namespace.as_deref().unwrap_or(""),
        finding.name.as_deref().unwrap_or(""),
        finding.field
    )
}

/// FNV-1a of what identifies a finding independently of its line, so code scanning tracks an
/// alert across edits that move it.
fn fingerprint(finding: &Finding) -> String {
    let key = format!(
        "{}|{}|{}",
        finding.rule,
        qualified_field(finding),
        finding.container.as_deref().unwrap_or("")
    );
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(
            pascal_case("Container runtime socket mounted"),
            "ContainerRuntimeSocketMounted"
        );
        assert_eq!(pascal_case("hostPath: /var/run"), "HostPathVarRun");
    }

    #[test]
    fn security_severity_ranks_like_github() {
        let ranks: Vec<f64> = Severity::ALL
            .iter()
            .map(|s| security_severity(*s).parse().unwrap())
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] < w[1]));
        assert!(ranks[4] > 9.0 && (7.0..9.0).contains(&ranks[3]) && (4.0..7.0).contains(&ranks[2]));
    }
}
