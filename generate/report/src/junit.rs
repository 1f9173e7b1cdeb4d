//! `tailor check -o junit`: JUnit XML for CI test tabs (GitLab, Jenkins, Azure, GitHub test
//! reporters).
//!
//! One test suite per file; one test case per object × rule that found something, failing
//! with the findings' messages (or skipped, with the reason, when suppressed), and one passing
//! case per object no rule found anything in, so that a clean object shows as a pass.

use std::collections::BTreeMap;
use std::io::{self, Write};

use tailor_check::{Finding, Report};

use crate::SourcePaths;

/// Writes the JUnit XML document.
pub fn write(report: &Report, paths: &SourcePaths, out: &mut dyn Write) -> io::Result<()> {
    // Findings by object, then by rule, in report order.
    let mut by_object: BTreeMap<usize, BTreeMap<&str, Vec<&Finding>>> = BTreeMap::new();
    for finding in &report.findings {
        by_object
            .entry(finding.object)
            .or_default()
            .entry(finding.rule)
            .or_default()
            .push(finding);
    }
    // Suites by file, in input order.
    let mut files: Vec<&str> = Vec::new();
    let mut cases: BTreeMap<&str, Vec<Case>> = BTreeMap::new();
    for (index, object) in report.objects.iter().enumerate() {
        let file = object.file.as_str();
        if !cases.contains_key(file) {
            files.push(file);
        }
        let class = object_class(&object.kind, object.namespace.as_deref(), object.name.as_deref());
        let suite = cases.entry(file).or_default();
        match by_object.remove(&index) {
            None => suite.push(Case {
                class,
                name: "no findings".to_owned(),
                line: object.line,
                outcome: Outcome::Passed,
            }),
            Some(rules) => suite.extend(
                rules
                    .into_iter()
                    .map(|(rule, findings)| case(class.clone(), rule, &findings)),
            ),
        }
    }
    // Findings about the configuration rather than an object (expired exemptions).
    for (_, rules) in by_object {
        for (rule, findings) in rules {
            let file = findings[0].file.as_str();
            if !cases.contains_key(file) {
                files.push(file);
            }
            cases
                .entry(file)
                .or_default()
                .push(case("configuration".to_owned(), rule, &findings));
        }
    }
    let total: usize = cases.values().map(Vec::len).sum();
    let failures = cases
        .values()
        .flatten()
        .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
        .count();
    let skipped = cases
        .values()
        .flatten()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="tailor check" tests="{total}" failures="{failures}" errors="{}" skipped="{skipped}">"#,
        report.errors.len()
    )?;
    for file in files {
        let suite = &cases[file];
        let relative = paths.relative(file);
        writeln!(
            out,
            r#"  <testsuite name="{}" file="{}" tests="{}" failures="{}" skipped="{}">"#,
            escape(&relative),
            escape(&relative),
            suite.len(),
            suite.iter().filter(|c| matches!(c.outcome, Outcome::Failed(_))).count(),
            suite
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
                .count(),
        )?;
        for case in suite {
            write!(
                out,
                r#"    <testcase classname="{}" name="{}" file="{}" line="{}""#,
                escape(&case.class),
                escape(&case.name),
                escape(&relative),
                case.line
            )?;
            match &case.outcome {
                Outcome::Passed => writeln!(out, "/>")?,
                Outcome::Skipped(reason) => writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(reason)
                )?,
                Outcome::Failed(failure) => writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(&failure.message),
                    escape(&failure.severity),
                    escape(&failure.body)
                )?,
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="input errors" tests="{0}" failures="0" errors="{0}">"#,
            report.errors.len()
        )?;
        for error in &report.errors {
            writeln!(
                out,
                "    <testcase classname=\"input\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>",
                escape(&format!("{}:{}", paths.relative(&error.file), error.line)),
                escape(&error.message)
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

struct Case {
    class: String,
    name: String,
    line: u32,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Skipped(String),
    Failed(Failure),
}

struct Failure {
    message: String,
    severity: String,
    body: String,
}

fn object_class(kind: &str, namespace: Option<&str>, name: Option<&str>) -> String {
    let name = name.unwrap_or("<unnamed>");
    match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The test case of one rule on one object: failed by its unsuppressed findings, skipped when
/// every finding is suppressed.
fn case(class: String, rule: &str, findings: &[&Finding]) -> Case {
    let first = findings[0];
    let name = format!("{rule}: {}", first.title);
    let active: Vec<&&Finding> = findings.iter().filter(|f| !f.suppressed).collect();
    let outcome = if active.is_empty() {
        let reasons: Vec<&str> = findings
            .iter()
            .filter_map(|f| f.suppression.as_ref().map(|s| s.reason.as_str()))
            .collect();
        Outcome::Skipped(format!("suppressed: {}", reasons.join("; ")))
    } else {
        let severity = active.iter().map(|f| f.severity).max().unwrap_or(first.severity);
        let body = active
            .iter()
            .map(|f| {
                let container = f
                    .container
                    .as_deref()
                    .map(|c| format!(" (container {c})"))
                    .unwrap_or_default();
                format!("{}:{}: {}{container}: {}", f.file, f.line, f.field, f.message)
            })
            .chain(std::iter::once(format!("Fix: {}", first.remediation)))
            .collect::<Vec<_>>()
            .join("\n");
        Outcome::Failed(Failure {
            message: active.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "),
            severity: severity.to_string(),
            body,
        })
    };
    Case {
        class,
        name,
        line: findings
            .iter()
            .filter(|f| !f.suppressed)
            .map(|f| f.line)
            .min()
            .unwrap_or(first.line),
        outcome,
    }
}

/// XML attribute and text escaping; characters XML 1.0 cannot carry are dropped.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
