//! `tailor check -o markdown`: a report to paste into a pull request, an issue or a wiki:
//! totals, findings by severity, each namespace's Pod Security standing, and the findings
//! (most severe first) with their location and fix.

use std::fmt::Write as _;
use std::io::{self, Write};

use tailor_check::Report;

use crate::SourcePaths;

/// Writes the Markdown report.
pub fn write(report: &Report, paths: &SourcePaths, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(report, paths).as_bytes())
}

pub fn render(report: &Report, paths: &SourcePaths) -> String {
    let summary = &report.summary;
    let mut md = String::new();
    let _ = writeln!(md, "# Tailor report\n");
    let _ = writeln!(
        md,
        "{} objects ({} workloads), **{} findings**, {} suppressed, {} input errors, {} documents skipped.\n",
        summary.objects, summary.workloads, summary.findings, summary.suppressed, summary.errors, summary.skipped
    );
    let _ = writeln!(md, "| severity | findings |\n|---|---:|");
    for severity in crate::severities_descending() {
        let count = summary.by_severity.get(&severity).copied().unwrap_or(0);
        let _ = writeln!(md, "| {severity} | {count} |");
    }
    if !report.namespaces.is_empty() {
        let _ = writeln!(md, "\n## Pod Security per namespace\n");
        let _ = writeln!(
            md,
            "| namespace | workloads | could enforce | next level needs |\n|---|---:|---|---|"
        );
        for ns in &report.namespaces {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&ns.namespace),
                ns.workloads,
                ns.level.as_str(),
                cell(&ns.blocking.join(", "))
            );
        }
    }
    let mut findings: Vec<_> = report.findings.iter().filter(|f| !f.suppressed).collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if !findings.is_empty() {
        let _ = writeln!(md, "\n## Findings\n");
        let _ = writeln!(
            md,
            "| severity | rule | object | location | finding | fix |\n|---|---|---|---|---|---|"
        );
        for f in findings {
            let container = f.container.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | `{}` | {}{} | `{}:{}` | {} | {} |",
                f.severity,
                f.rule,
                cell(&crate::object_name(f)),
                cell(&container),
                cell(&paths.relative(&f.file)),
                f.line,
                cell(&f.message),
                cell(&f.remediation)
            );
        }
    }
    let suppressed: Vec<_> = report.findings.iter().filter(|f| f.suppressed).collect();
    if !suppressed.is_empty() {
        let _ = writeln!(md, "\n## Suppressed\n");
        let _ = writeln!(md, "| rule | object | reason |\n|---|---|---|");
        for f in suppressed {
            let reason = f.suppression.as_ref().map(|s| s.reason.as_str()).unwrap_or("");
            let _ = writeln!(
                md,
                "| `{}` | {} | {} |",
                f.rule,
                cell(&crate::object_name(f)),
                cell(reason)
            );
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(md, "\n## Input errors\n");
        for e in &report.errors {
            let _ = writeln!(
                md,
                "- `{}:{}:{}`: {}",
                paths.relative(&e.file),
                e.line,
                e.column,
                cell(&e.message)
            );
        }
    }
    md
}

/// Text safe inside a Markdown table cell: pipes escaped, line breaks as `<br>`, and HTML
/// special characters escaped (renderers accept inline HTML).
pub fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}
