//! End-to-end tests of the report formats of `tailor check` (`-o sarif|junit|github|markdown|
//! yaml`): SARIF of the whole corpus validated by Microsoft's SARIF Multitool (its default
//! rules and GitHub's ingestion rules), and every format checked against the JSON report of
//! the same input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use common::{corpus, temp_dir};

/// `tailor ARGS...` run in `dir`.
fn tailor_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("tailor runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// `sarif-multitool validate FILE` with `extra` arguments: the errors it reports, or `None`
/// (after a loud notice) where the Multitool is not installed.
fn multitool_errors(file: &Path, extra: &[&str]) -> Option<Vec<String>> {
    let out = file.with_extension(format!("validation{}.sarif", extra.len()));
    let _ = std::fs::remove_file(&out);
    let run = Command::new("sarif-multitool")
        .arg("validate")
        .arg(file)
        .arg("-o")
        .arg(&out)
        // The corpus's log is larger than the default limit of 10 MB.
        .args(["--max-file-size-in-kb", "200000"])
        .args(extra)
        .output();
    let Ok(run) = run else {
        eprintln!("SKIPPED: sarif-multitool not installed (npm install -g @microsoft/sarif-multitool)");
        return None;
    };
    assert!(
        run.status.success(),
        "sarif-multitool failed: {}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("the validation log")).unwrap();
    let results = log["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    Some(
        results
            .iter()
            .filter(|r| r["level"] == "error")
            .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
            .collect(),
    )
}

fn validate_both_ways(file: &Path) {
    for extra in [&[][..], &["--rule-kind", "Gh"][..]] {
        if let Some(errors) = multitool_errors(file, extra) {
            assert!(errors.is_empty(), "{extra:?}: {} errors: {errors:#?}", errors.len());
        }
    }
}

/// The SARIF and JSON reports of `paths`, run in `dir`.
fn sarif_and_json(dir: &Path, paths: &[&str], sarif_file: &Path) -> (Value, Value) {
    let mut args = vec!["check"];
    args.extend(paths);
    let sarif_path = sarif_file.to_str().unwrap();
    let run = tailor_in(
        dir,
        &[&args[..], &["-o", "sarif", "--output-file", sarif_path]].concat(),
    );
    assert!(run.stdout.is_empty(), "the report goes to the file only");
    let json = tailor_in(dir, &[&args[..], &["-o", "json"]].concat());
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(sarif_file).unwrap()).unwrap();
    (sarif, serde_json::from_slice(&json.stdout).unwrap())
}

#[test]
fn sarif_of_the_whole_corpus_passes_the_multitool_and_points_at_relative_lines() {
    let Some(corpus) = corpus() else { return };
    let dir = temp_dir("corpus-sarif");
    let file = dir.join("corpus.sarif");
    let (sarif, json) = sarif_and_json(&corpus, &["."], &file);
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let results = run["results"].as_array().unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(!results.is_empty(), "the corpus has findings");
    assert_eq!(results.len(), findings.len(), "one result per finding");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for (result, finding) in results.iter().zip(findings) {
        assert_eq!(result["ruleId"], finding["rule"]);
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], finding["rule"], "ruleIndex points at the rule");
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            !uri.starts_with('/') && !uri.contains("://") && !uri.starts_with(".."),
            "{uri} is relative to the corpus"
        );
        let expected = finding["file"].as_str().unwrap().trim_start_matches("./");
        assert_eq!(uri, expected.replace(' ', "%20"));
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1, "{result}");
        assert_eq!(location["region"]["startLine"], finding["line"]);
    }
    // Rules carry what code scanning ranks and groups by.
    let privileged = rules.iter().find(|r| r["id"] == "PSS-privileged").unwrap();
    let severity: f64 = privileged["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(severity >= 7.0, "privileged ranks high or critical");
    let tags: Vec<&str> = privileged["properties"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(tags.contains(&"T1611"), "{tags:?}");
    assert!(privileged["help"]["markdown"].as_str().unwrap().contains("Fix:"));
    validate_both_ways(&file);
}

#[test]
fn suppressed_findings_are_sarif_suppressions() {
    let dir = temp_dir("suppressed");
    std::fs::write(
        dir.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    tailor.dev/ignore: \"PSS-hostNamespaces -- node exporter needs the host PID namespace\"\nspec:\n  hostPID: true\n  containers: [{name: a, image: busybox}]\n",
    )
    .unwrap();
    let file = dir.join("out.sarif");
    let (sarif, json) = sarif_and_json(&dir, &["pod.yaml"], &file);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results.iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(
        suppressed.len(),
        json["summary"]["suppressed"].as_u64().unwrap() as usize
    );
    assert_eq!(suppressed.len(), 1);
    let suppression = &suppressed[0]["suppressions"][0];
    assert_eq!(suppressed[0]["ruleId"], "PSS-hostNamespaces");
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["status"], "accepted");
    assert!(suppression["justification"].as_str().unwrap().contains("host PID"));
    assert_eq!(
        suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 8,
        "the line of hostPID"
    );
    validate_both_ways(&file);
}

/// A small input with findings of several severities, one suppressed.
fn sample(dir: &Path) {
    std::fs::write(
        dir.join("app.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    tailor.dev/ignore: \"TLR-image-mutable-tag -- pinned by the release pipeline\"\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers:\n      - name: web\n        image: nginx:latest\n        securityContext:\n          privileged: true\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata: {a: b}\n",
    )
    .unwrap();
}

#[test]
fn github_annotations_are_one_escaped_line_per_unsuppressed_finding() {
    let dir = temp_dir("github");
    sample(&dir);
    let json: Value = serde_json::from_slice(&tailor_in(&dir, &["check", "app.yaml", "-o", "json"]).stdout).unwrap();
    let out = stdout(&tailor_in(&dir, &["check", "app.yaml", "-o", "github"]));
    let lines: Vec<&str> = out.lines().collect();
    let active: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .collect();
    assert_eq!(lines.len(), active.len(), "{out}");
    for (line, finding) in lines.iter().zip(&active) {
        let command = match finding["severity"].as_str().unwrap() {
            "critical" | "high" => "::error ",
            "medium" => "::warning ",
            _ => "::notice ",
        };
        assert!(line.starts_with(command), "{line}");
        assert!(
            line.contains(&format!("file=app.yaml,line={},", finding["line"])),
            "{line}"
        );
        let (properties, message) = line[2..].split_once("::").unwrap();
        assert!(properties.contains(&format!("title={} (", finding["rule"].as_str().unwrap())));
        assert!(message.contains("%0AFix: "), "line breaks are escaped: {message}");
    }
    assert!(
        !out.contains("TLR-image-mutable-tag"),
        "suppressed findings are not annotated"
    );
}

#[test]
fn junit_has_a_case_per_object_and_rule_failing_with_the_message() {
    let dir = temp_dir("junit");
    sample(&dir);
    let json: Value = serde_json::from_slice(&tailor_in(&dir, &["check", "app.yaml", "-o", "json"]).stdout).unwrap();
    let xml = stdout(&tailor_in(&dir, &["check", "app.yaml", "-o", "junit"]));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases: Vec<roxmltree::Node> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let findings = json["findings"].as_array().unwrap();
    let mut rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    rules.sort_unstable();
    rules.dedup();
    // The Deployment: one case per rule; the ConfigMap: one passing case.
    assert_eq!(cases.len(), rules.len() + 1, "{xml}");
    for rule in &rules {
        let case = cases
            .iter()
            .find(|c| c.attribute("name").unwrap().starts_with(&format!("{rule}: ")))
            .unwrap_or_else(|| panic!("no case for {rule}"));
        assert_eq!(case.attribute("classname"), Some("Deployment shop/web"));
        let finding = findings.iter().find(|f| f["rule"] == *rule).unwrap();
        if finding["suppressed"] == true {
            let skipped = case
                .children()
                .find(|n| n.has_tag_name("skipped"))
                .expect("suppressed is skipped");
            assert!(skipped.attribute("message").unwrap().contains("release pipeline"));
        } else {
            let failure = case.children().find(|n| n.has_tag_name("failure")).expect("a failure");
            assert!(failure
                .attribute("message")
                .unwrap()
                .contains(finding["message"].as_str().unwrap()));
            assert_eq!(failure.attribute("type"), finding["severity"].as_str());
        }
    }
    let passing = cases
        .iter()
        .find(|c| c.attribute("classname") == Some("ConfigMap shop/settings"))
        .unwrap();
    assert!(passing.children().all(|n| !n.is_element()), "a clean object passes");
    let root = doc.root_element();
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    assert_eq!(root.attribute("failures"), Some(failures.to_string().as_str()));
}

#[test]
fn markdown_states_the_totals_and_every_finding() {
    let dir = temp_dir("markdown");
    sample(&dir);
    let json: Value = serde_json::from_slice(&tailor_in(&dir, &["check", "app.yaml", "-o", "json"]).stdout).unwrap();
    let md = stdout(&tailor_in(&dir, &["check", "app.yaml", "-o", "markdown"]));
    let summary = &json["summary"];
    assert!(md.contains(&format!("**{} findings**", summary["findings"])), "{md}");
    for (severity, count) in summary["by_severity"].as_object().unwrap() {
        assert!(md.contains(&format!("| {severity} | {count} |")), "{severity}: {md}");
    }
    for finding in json["findings"].as_array().unwrap() {
        assert!(md.contains(&format!("`{}`", finding["rule"].as_str().unwrap())));
    }
    assert!(md.contains("| shop | 1 | privileged |"), "{md}");
}

#[test]
fn yaml_is_the_json_report() {
    let dir = temp_dir("yaml");
    sample(&dir);
    let json: Value = serde_json::from_slice(&tailor_in(&dir, &["check", "app.yaml", "-o", "json"]).stdout).unwrap();
    let yaml = stdout(&tailor_in(&dir, &["check", "app.yaml", "-o", "yaml"]));
    let documents = tailor_manifest::parse_stream(&yaml);
    assert_eq!(documents.len(), 1);
    let document = documents.into_iter().next().unwrap().expect("valid YAML");
    assert_eq!(document.value, json);
}

#[test]
fn every_format_written_to_a_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private");
    sample(&dir);
    for format in ["table", "json", "yaml", "sarif", "junit", "github", "markdown", "html"] {
        let file = dir.join(format!("report.{format}"));
        // An existing, world-readable file is tightened too.
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let run = tailor_in(
            &dir,
            &[
                "check",
                "app.yaml",
                "-o",
                format,
                "--output-file",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            run.status.code(),
            Some(1),
            "{format}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let metadata = std::fs::metadata(&file).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600, "{format}");
        assert!(metadata.len() > 10, "{format} was written");
    }
}
