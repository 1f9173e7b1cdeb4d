//! Renders a [`Report`] as text. Functions return strings; the caller decides where they go.

use std::collections::BTreeMap;
use std::fmt::Write;

use tailor_pss::Level;

use crate::report::{Finding, ObjectReport, Report, Severity};

/// `-o json`: the `tailor.check/v1` document, written to `out`.
pub fn json(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// ANSI styling, or none (not a terminal, or `NO_COLOR`).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn severity(self, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.paint(code, &format!("{:<8}", severity.as_str().to_uppercase()))
    }

    fn level(self, level: Level) -> String {
        let code = match level {
            Level::Privileged => "31",
            Level::Baseline => "33",
            Level::Restricted => "32",
        };
        self.paint(code, level.as_str())
    }
}

/// `-o table`: findings grouped by object, then a summary per level and per namespace.
pub fn table(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let mut findings_by_object: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| !f.suppressed) {
        findings_by_object.entry(finding.object).or_default().push(finding);
    }
    for (index, object) in report.objects.iter().enumerate() {
        if let Some(findings) = findings_by_object.remove(&index) {
            write_object_header(&mut out, object, style);
            write_findings(&mut out, &findings, style);
        }
    }
    // Findings about the configuration rather than an object (expired exemptions).
    for findings in findings_by_object.values() {
        let _ = writeln!(out, "{}", style.paint("1", &findings[0].file));
        write_findings(&mut out, findings, style);
    }
    write_summary(&mut out, report, style);
    out
}

fn write_findings(out: &mut String, findings: &[&Finding], style: Style) {
    for finding in findings {
        let _ = writeln!(
            out,
            "  {} {} {}  {}",
            style.paint("2", &format!("{:>5}", format!(":{}", finding.line))),
            style.severity(finding.severity),
            style.paint("1", &finding.rule),
            finding.message
        );
        let _ = writeln!(
            out,
            "  {}  {}",
            " ".repeat(5 + 1 + 8),
            style.paint("2", &format!("fix: {}", finding.remediation))
        );
    }
    out.push('\n');
}

fn write_object_header(out: &mut String, object: &ObjectReport, style: Style) {
    let name = match (&object.namespace, &object.name) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (None, Some(n)) => n.to_string(),
        _ => "<unnamed>".to_owned(),
    };
    let _ = write!(
        out,
        "{}  {} {}",
        style.paint("1", &format!("{}:{}", object.file, object.line)),
        object.kind,
        name
    );
    if let Some(pss) = &object.pss {
        let _ = write!(out, "  pss: {}", style.level(pss.level));
        let blocking = if pss.blocking_baseline.is_empty() {
            &pss.blocking_restricted
        } else {
            &pss.blocking_baseline
        };
        if let (Some(next), false) = (pss.level.stricter(), blocking.is_empty()) {
            let _ = write!(out, " ({next} blocked by: {})", blocking.join(", "));
        }
    }
    out.push('\n');
}

fn write_summary(out: &mut String, report: &Report, style: Style) {
    let s = &report.summary;
    let severities: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| s.by_severity.get(sev).map(|n| format!("{n} {sev}")))
        .collect();
    let _ =
        writeln!(
        out,
        "{} {} objects ({} workloads), {} findings{}, {} suppressed, {} errors, {} non-Kubernetes documents skipped",
        style.paint("1", "Summary:"),
        s.objects,
        s.workloads,
        s.findings,
        if severities.is_empty() { String::new() } else { format!(" ({})", severities.join(", ")) },
        s.suppressed,
        s.errors,
        s.skipped
    );
    let levels: Vec<String> = [Level::Restricted, Level::Baseline, Level::Privileged]
        .iter()
        .map(|level| {
            format!(
                "{} {}",
                style.level(*level),
                s.pss_levels.get(level).copied().unwrap_or(0)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "{} {}",
        style.paint("1", "Pod Security level met by workloads:"),
        levels.join(", ")
    );
    if !report.namespaces.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.paint("1", "Per namespace (strictest level every workload meets):")
        );
        let width = report.namespaces.iter().map(|ns| ns.namespace.len()).max().unwrap_or(0);
        for standing in &report.namespaces {
            let _ = write!(out, "  {:<width$}  ", standing.namespace);
            match standing.level.stricter() {
                None => {
                    let _ = writeln!(out, "could enforce {} today", style.level(Level::Restricted));
                }
                Some(next) => {
                    let _ = writeln!(
                        out,
                        "could enforce {}; {next} needs: {}",
                        style.level(standing.level),
                        standing.blocking.join(", ")
                    );
                }
            }
        }
    }
}
