//! `tailor check -o github`: GitHub Actions workflow commands that annotate the pull request
//! at the offending line (`::error file=…,line=…,col=…,title=…::message`).
//!
//! Critical and high findings are errors, medium warnings, low and info notices; suppressed
//! findings are left out (they were reviewed). Values are escaped as the runner's parser
//! expects: `%`, CR and LF everywhere, and `:` and `,` in properties too.

use std::io::{self, Write};

use tailor_check::{Finding, Report, Severity};

use crate::SourcePaths;

/// Writes one annotation per unsuppressed finding.
pub fn write(report: &Report, paths: &SourcePaths, out: &mut dyn Write) -> io::Result<()> {
    for finding in report.findings.iter().filter(|f| !f.suppressed) {
        writeln!(out, "{}", annotation(finding, paths))?;
    }
    Ok(())
}

/// The workflow command for one finding.
pub fn annotation(finding: &Finding, paths: &SourcePaths) -> String {
    let command = match finding.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    };
    let mut properties = vec![format!("file={}", escape_property(&paths.relative(&finding.file)))];
    if finding.line > 0 {
        properties.push(format!("line={}", finding.line));
        if finding.column > 0 {
            properties.push(format!("col={}", finding.column));
        }
    }
    let title = format!("{} ({}): {}", finding.rule, finding.severity, finding.title);
    properties.push(format!("title={}", escape_property(&title)));
    let container = finding
        .container
        .as_deref()
        .map(|c| format!(", container {c}"))
        .unwrap_or_default();
    let message = format!(
        "{}{container}: {}\nFix: {}",
        crate::object_name(finding),
        finding.message,
        finding.remediation
    );
    format!("::{command} {}::{}", properties.join(","), escape_data(&message))
}

fn escape_data(value: &str) -> String {
    value.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_parses() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
