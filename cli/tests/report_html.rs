//! `tailor check -o html` in a real headless Chromium: the corpus report renders, after its
//! script ran, with the totals of the JSON report, and loads nothing from the network.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use common::{corpus, temp_dir};

/// The DOM of `page` after its scripts ran, or `None` (after a loud notice) where Chromium is
/// not installed.
fn dump_dom(page: &Path, fragment: &str, profile: &Path) -> Option<String> {
    let run = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output();
    let Ok(run) = run else {
        eprintln!("SKIPPED: chromium not installed (apt-get install -y chromium)");
        return None;
    };
    assert!(
        run.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    Some(String::from_utf8(run.stdout).unwrap())
}

/// The text of the element with `id` (a leaf: `<… id="ID">TEXT<`).
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let after = &dom[start..];
    let open = after.find('>').unwrap() + 1;
    let close = after[open..].find('<').unwrap();
    &after[open..open + close]
}

fn attribute<'a>(dom: &'a str, name: &str) -> &'a str {
    let start = dom.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name}")) + name.len() + 2;
    &dom[start..start + dom[start..].find('"').unwrap()]
}

#[test]
fn the_corpus_report_renders_the_json_totals_in_chromium() {
    let Some(corpus) = corpus() else { return };
    let dir = temp_dir("html");
    let page = dir.join("report.html");
    let tailor = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tailor"))
            .args(args)
            .current_dir(&corpus)
            .output()
            .unwrap()
    };
    tailor(&["check", ".", "-o", "html", "--output-file", page.to_str().unwrap()]);
    let json: Value = serde_json::from_slice(&tailor(&["check", ".", "-o", "json"]).stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch, and a policy that forbids fetching anyway.
    for reference in ["<link", " src=", "@import", "url("] {
        assert!(!html.contains(reference), "the page references {reference}");
    }
    assert!(html.contains("default-src 'none'"));

    let Some(dom) = dump_dom(&page, "", &dir.join("profile")) else {
        return;
    };
    let summary = &json["summary"];
    for key in ["objects", "workloads", "findings", "suppressed", "errors", "skipped"] {
        assert_eq!(
            text_of(&dom, &format!("summary-{key}")),
            summary[key].to_string(),
            "{key}"
        );
    }
    for severity in ["critical", "high", "medium", "low", "info"] {
        let expected = summary["by_severity"]
            .get(severity)
            .and_then(Value::as_u64)
            .unwrap_or(0);
        assert_eq!(
            text_of(&dom, &format!("severity-{severity}")),
            expected.to_string(),
            "{severity}"
        );
    }
    for level in ["restricted", "baseline", "privileged"] {
        let expected = summary["pss_levels"].get(level).and_then(Value::as_u64).unwrap_or(0);
        assert_eq!(text_of(&dom, &format!("pss-{level}")), expected.to_string(), "{level}");
    }
    // The script ran: the table lists every unsuppressed finding.
    let findings = json["findings"].as_array().unwrap();
    let active: Vec<&Value> = findings.iter().filter(|f| f["suppressed"] == false).collect();
    assert_eq!(attribute(&dom, "data-rows"), active.len().to_string());
    assert_eq!(dom.matches("<tr class=\"finding").count(), active.len());
    assert_eq!(
        text_of(&dom, "shown"),
        format!("Showing {0} of {0} findings", active.len())
    );
    // The heat map counts each technique's findings.
    let mut per_technique: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &active {
        for technique in finding["attack"].as_array().unwrap() {
            *per_technique.entry(technique.as_str().unwrap()).or_default() += 1;
        }
    }
    assert!(
        per_technique.contains_key("T1611"),
        "the corpus has escapes to the host"
    );
    for (technique, count) in &per_technique {
        let cell = format!("data-count-technique=\"{technique}\">{count}<");
        assert!(dom.contains(&cell), "{technique}: {count}");
    }
    // Namespaces: one row each.
    for namespace in json["namespaces"].as_array().unwrap() {
        let name = namespace["namespace"].as_str().unwrap();
        assert!(
            dom.contains(&format!("<td>{}</td>", name.replace('&', "&amp;"))),
            "{name}"
        );
    }

    // A filter in the link narrows the table to that rule.
    let Some(filtered) = dump_dom(&page, "#q=PSS-privileged&severity=critical", &dir.join("profile")) else {
        return;
    };
    let privileged = active.iter().filter(|f| f["rule"] == "PSS-privileged").count();
    assert!(privileged > 0);
    assert_eq!(attribute(&filtered, "data-rows"), privileged.to_string());
}
