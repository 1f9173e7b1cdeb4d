//! `tailor check -o html`: one self-contained page for the people who decide what to fix
//! first. Summary counts, findings by severity, an ATT&CK tactic × technique heat map, the
//! Pod Security level each namespace could enforce, and a filterable, sortable table of the
//! findings with each one's evidence and fix.
//!
//! Self-contained: CSS and JavaScript are inline and nothing is fetched (a report reveals a
//! cluster's layout; opening it must not call anywhere). The counts are rendered here, so the
//! page reads right without JavaScript; the script only filters and sorts the table, whose
//! data is embedded as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::json;
use tailor_check::Report;

use crate::attack::{tactics, TACTICS};
use crate::SourcePaths;

/// Writes the HTML report.
pub fn write(report: &Report, paths: &SourcePaths, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(report, paths).as_bytes())
}

pub fn render(report: &Report, paths: &SourcePaths) -> String {
    let s = &report.summary;
    let mut html = String::with_capacity(4096 + report.findings.len() * 600);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // No request may leave the page, whatever a finding's text contains.
    html.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    html.push_str("<title>Tailor report</title>\n<style>");
    html.push_str(CSS);
    html.push_str("</style>\n</head>\n<body>\n<header><h1>Tailor report</h1>");
    let _ = write!(
        html,
        "<p class=\"sub\">Pod Security Standards and hardening findings · {} {}</p></header>\n<main>\n",
        s.objects,
        plural(s.objects, "object", "objects")
    );

    // Summary cards.
    html.push_str("<section class=\"cards\">");
    for (id, label, value) in [
        ("objects", "objects", s.objects),
        ("workloads", "workloads", s.workloads),
        ("findings", "findings", s.findings),
        ("suppressed", "suppressed", s.suppressed),
        ("errors", "input errors", s.errors),
        ("skipped", "skipped documents", s.skipped),
    ] {
        let _ = write!(
            html,
            "<div class=\"card card-{id}\"><div class=\"value\" id=\"summary-{id}\">{value}</div><div class=\"label\">{label}</div></div>"
        );
    }
    html.push_str("</section>\n");

    // Findings by severity, and workloads by Pod Security level.
    html.push_str("<section class=\"row\"><div class=\"panel\"><h2>Findings by severity</h2><div class=\"bars\">");
    let most = s.by_severity.values().copied().max().unwrap_or(0).max(1);
    for severity in crate::severities_descending() {
        let count = s.by_severity.get(&severity).copied().unwrap_or(0);
        let _ = write!(
            html,
            "<button class=\"bar-row\" data-severity=\"{severity}\" title=\"Show only {severity} findings\"><span class=\"sev sev-{severity}\">{severity}</span><span class=\"bar\"><span class=\"fill sev-bg-{severity}\" style=\"width:{:.1}%\"></span></span><span class=\"count\" id=\"severity-{severity}\">{count}</span></button>",
            count as f64 * 100.0 / most as f64
        );
    }
    html.push_str("</div></div>\n<div class=\"panel\"><h2>Workloads by Pod Security level</h2><div class=\"levels\">");
    for level in [
        tailor_pss::Level::Restricted,
        tailor_pss::Level::Baseline,
        tailor_pss::Level::Privileged,
    ] {
        let count = s.pss_levels.get(&level).copied().unwrap_or(0);
        let name = level.as_str();
        let _ = write!(
            html,
            "<div class=\"level level-{name}\"><div class=\"value\" id=\"pss-{name}\">{count}</div><div class=\"label\">{name}</div></div>"
        );
    }
    html.push_str("</div><p class=\"hint\">The strictest level each workload meets today.</p></div></section>\n");

    heat_map(report, &mut html);
    namespaces(report, &mut html);

    // The findings table, filled by the script from the embedded data.
    let _ = write!(
        html,
        "<section class=\"panel\"><h2>Findings</h2>\n<div class=\"filters\"><input id=\"filter\" type=\"search\" placeholder=\"Filter: rule, object, namespace, file, message, technique…\" aria-label=\"Filter findings\">\
<select id=\"severity\" aria-label=\"Severity\"><option value=\"\">all severities</option>{}</select>\
<label><input id=\"show-suppressed\" type=\"checkbox\"> show suppressed ({})</label>\
<span id=\"shown\" class=\"hint\"></span></div>\n\
<table id=\"findings\" class=\"findings\"><thead><tr>\
<th data-key=\"severity\" aria-sort=\"descending\">Severity</th><th data-key=\"rule\">Rule</th><th data-key=\"object\">Object</th>\
<th data-key=\"location\">Location</th><th data-key=\"message\">Finding, evidence and fix</th></tr></thead><tbody></tbody></table>\n\
<noscript><p>Enable JavaScript to list the findings, or use <code>tailor check -o markdown</code>.</p></noscript></section>\n",
        crate::severities_descending()
            .map(|sev| format!("<option value=\"{sev}\">{sev}</option>"))
            .collect::<String>(),
        s.suppressed
    );

    if !report.errors.is_empty() {
        html.push_str("<section class=\"panel\"><h2>Input errors</h2><ul class=\"errors\">");
        for e in &report.errors {
            let _ = write!(
                html,
                "<li><code>{}:{}:{}</code> {}</li>",
                escape(&paths.relative(&e.file)),
                e.line,
                e.column,
                escape(&e.message)
            );
        }
        html.push_str("</ul></section>\n");
    }
    let _ = write!(
        html,
        "</main>\n<footer>Generated by Tailor {} · self-contained: this page loads nothing from the network.</footer>\n",
        env!("CARGO_PKG_VERSION")
    );

    let rows: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "severity": f.severity,
                "rule": f.rule,
                "title": f.title,
                "object": crate::object_name(f),
                "namespace": f.namespace,
                "file": paths.relative(&f.file),
                "line": f.line,
                "field": f.field,
                "container": f.container,
                "image": f.image,
                "message": f.message,
                "fix": f.remediation,
                "attack": f.attack,
                "suppressed": f.suppressed,
                "reason": f.suppression.as_ref().map(|s| s.reason.as_str()),
            })
        })
        .collect();
    html.push_str("<script id=\"findings-data\" type=\"application/json\">");
    html.push_str(&script_safe_json(&serde_json::Value::Array(rows)));
    html.push_str("</script>\n<script>");
    html.push_str(JS);
    html.push_str("</script>\n</body>\n</html>\n");
    html
}

/// Unsuppressed findings per ATT&CK technique, laid out by tactic as the matrix is.
fn heat_map(report: &Report, html: &mut String) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| !f.suppressed) {
        for technique in finding.attack {
            *counts.entry(*technique).or_default() += 1;
        }
    }
    let most = counts.values().copied().max().unwrap_or(0).max(1);
    html.push_str("<section class=\"panel\"><h2>MITRE ATT&amp;CK for Containers</h2><p class=\"hint\">Findings per technique, under each tactic it serves; click a technique to list its findings.</p><div class=\"matrix\">");
    for tactic in TACTICS {
        let _ = write!(html, "<div class=\"tactic\"><h3>{}</h3>", escape(tactic));
        let mut techniques: Vec<(&str, &str)> = tailor_check::rules::attack::TECHNIQUES
            .iter()
            .filter(|(id, _)| tactics(id).contains(tactic))
            .map(|(id, name)| (*id, *name))
            .collect();
        techniques.sort_by_key(|(id, _)| std::cmp::Reverse(counts.get(id).copied().unwrap_or(0)));
        for (id, name) in techniques {
            let count = counts.get(id).copied().unwrap_or(0);
            // Eight steps of heat; zero stays neutral.
            let heat = if count == 0 {
                0
            } else {
                1 + (count * 7).div_ceil(most).min(7)
            };
            let _ = write!(
                html,
                "<button class=\"technique heat-{heat}\" data-technique=\"{id}\" title=\"{id} {}: {count} {}\"><span class=\"tid\">{id}</span><span class=\"tname\">{}</span><span class=\"tcount\" data-count-technique=\"{id}\">{count}</span></button>",
                escape(name),
                plural(count, "finding", "findings"),
                escape(name.rsplit(": ").next().unwrap_or(name)),
            );
        }
        html.push_str("</div>");
    }
    html.push_str("</div></section>\n");
}

fn namespaces(report: &Report, html: &mut String) {
    if report.namespaces.is_empty() {
        return;
    }
    html.push_str("<section class=\"panel\"><h2>Pod Security per namespace</h2><p class=\"hint\">The strictest level every workload of the namespace meets: what <code>pod-security.kubernetes.io/enforce</code> could say today.</p><div class=\"scroll\"><table class=\"namespaces\" id=\"namespaces\"><thead><tr><th>Namespace</th><th>Workloads</th><th>Could enforce</th><th>The next level needs</th></tr></thead><tbody>");
    for ns in &report.namespaces {
        let level = ns.level.as_str();
        let _ = write!(
            html,
            "<tr><td>{}</td><td class=\"num\">{}</td><td><span class=\"pill level-{level}\">{level}</span></td><td>{}</td></tr>",
            escape(&ns.namespace),
            ns.workloads,
            escape(&ns.blocking.join(", "))
        );
    }
    html.push_str("</tbody></table></div></section>\n");
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that cannot end the `<script>` element it is embedded in.
fn script_safe_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .expect("JSON values serialize")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

const CSS: &str = r#"
:root{--bg:#f6f7f9;--panel:#fff;--ink:#1f2430;--muted:#667085;--line:#e4e7ec;--accent:#3b5bdb;
--critical:#b42318;--high:#e8590c;--medium:#d4a106;--low:#1c7ed6;--info:#868e96;
--restricted:#2b8a3e;--baseline:#d4a106;--privileged:#b42318}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#141a2e;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;letter-spacing:.2px}
header .sub{margin:4px 0 0;color:#b8c0d9}
main{padding:20px 32px;max-width:1500px;margin:0 auto}
h2{font-size:15px;margin:0 0 12px;text-transform:uppercase;letter-spacing:.6px;color:#344054}
h3{font-size:12px;margin:0 0 8px;color:#475467;text-transform:uppercase;letter-spacing:.4px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f2f4f7;padding:1px 4px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.card .value{font-size:28px;font-weight:700}
.card .label{color:var(--muted)}
.card-findings .value{color:var(--critical)}
.row{display:grid;grid-template-columns:2fr 1fr;gap:16px;margin-bottom:16px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:16px}
.row .panel{margin-bottom:0}
.bars{display:flex;flex-direction:column;gap:6px}
.bar-row{display:grid;grid-template-columns:90px 1fr 60px;align-items:center;gap:10px;border:0;background:none;padding:2px 0;font:inherit;color:inherit;cursor:pointer;text-align:left}
.bar-row:hover .bar{background:#e9ecf5}
.bar{height:14px;background:#f2f4f7;border-radius:7px;overflow:hidden;display:block}
.fill{display:block;height:100%;border-radius:7px;min-width:2px}
.count{text-align:right;font-weight:600;font-variant-numeric:tabular-nums}
.sev{display:inline-block;min-width:70px;text-align:center;padding:1px 8px;border-radius:999px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.3px}
.sev-critical,.sev-bg-critical{background:var(--critical)}.sev-high,.sev-bg-high{background:var(--high)}
.sev-medium,.sev-bg-medium{background:var(--medium)}.sev-low,.sev-bg-low{background:var(--low)}.sev-info,.sev-bg-info{background:var(--info)}
.levels{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.level{border-radius:8px;padding:10px;text-align:center;border:1px solid var(--line)}
.level .value{font-size:24px;font-weight:700}
.level-restricted .value{color:var(--restricted)}.level-baseline .value{color:var(--baseline)}.level-privileged .value{color:var(--privileged)}
.pill{padding:1px 8px;border-radius:999px;color:#fff;font-size:12px;font-weight:600}
.pill.level-restricted{background:var(--restricted)}.pill.level-baseline{background:var(--baseline)}.pill.level-privileged{background:var(--privileged)}
.hint{color:var(--muted);font-size:12px;margin:8px 0 0}
.matrix{display:grid;grid-template-columns:repeat(9,minmax(110px,1fr));gap:8px;margin-top:10px;overflow-x:auto}
.tactic{display:flex;flex-direction:column;gap:5px}
.technique{display:flex;flex-direction:column;align-items:flex-start;border:1px solid var(--line);border-radius:6px;padding:6px 7px;font:inherit;text-align:left;cursor:pointer;background:#fafbfc;color:var(--ink)}
.technique .tid{font:11px ui-monospace,Menlo,Consolas,monospace;opacity:.85}
.technique .tname{font-size:12px;line-height:1.25}
.technique .tcount{font-weight:700;font-size:15px;margin-top:2px}
.heat-0{color:#98a2b3}.heat-0 .tcount{color:#c0c6d0}
.heat-1{background:#fff1ec}.heat-2{background:#ffd9cc}.heat-3{background:#ffbfa8}.heat-4{background:#ffa183}
.heat-5{background:#f9795a;color:#fff}.heat-6{background:#e5533a;color:#fff}.heat-7{background:#c9302c;color:#fff}.heat-8{background:#98191c;color:#fff}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:7px 9px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:#475467;text-transform:uppercase;letter-spacing:.4px;background:#f9fafb;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.findings th{cursor:pointer;user-select:none}
table.findings th[aria-sort=ascending]::after{content:" ▲"}table.findings th[aria-sort=descending]::after{content:" ▼"}
table.findings tr.suppressed{opacity:.55}
table.findings td.rule code{white-space:nowrap}
table.findings td.loc{max-width:260px;word-break:break-all;font:12px ui-monospace,Menlo,Consolas,monospace;color:#475467}
details summary{cursor:pointer}
details .evidence{margin:6px 0 2px;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:12.5px}
details .evidence dt{color:var(--muted)}details .evidence dd{margin:0}
.fix{border-left:3px solid var(--restricted);padding:4px 8px;background:#f3faf4;margin-top:6px}
.filters{display:flex;gap:10px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
.filters input[type=search]{flex:1;min-width:260px;padding:7px 10px;border:1px solid #d0d5dd;border-radius:6px;font:inherit}
.filters select{padding:6px;border:1px solid #d0d5dd;border-radius:6px;font:inherit}
.errors li{margin:4px 0}
.scroll{max-height:360px;overflow:auto}
footer{color:var(--muted);text-align:center;padding:18px;font-size:12px}
@media (max-width:1100px){.cards{grid-template-columns:repeat(3,1fr)}.row{grid-template-columns:1fr}}
"#;

const JS: &str = r#"
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("findings-data").textContent);
  var rank = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var filter = document.getElementById("filter");
  var severity = document.getElementById("severity");
  var suppressed = document.getElementById("show-suppressed");
  var table = document.getElementById("findings");
  var body = table.tBodies[0];
  var shown = document.getElementById("shown");
  var sortKey = "severity", sortDir = -1;
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function key(f, k) {
    switch (k) {
      case "severity": return rank[f.severity];
      case "location": return f.file + ":" + String(f.line).padStart(7, "0");
      default: return String(f[k] || "").toLowerCase();
    }
  }
  function haystack(f) {
    return [f.rule, f.title, f.object, f.namespace, f.file, f.message, f.container, f.image, f.field]
      .concat(f.attack).join(" ").toLowerCase();
  }
  data.forEach(function (f) { f._text = haystack(f); });
  function row(f) {
    var evidence = "<dl class=\"evidence\"><dt>field</dt><dd><code>" + esc(f.field) + "</code></dd>";
    if (f.container) evidence += "<dt>container</dt><dd>" + esc(f.container) + "</dd>";
    if (f.image) evidence += "<dt>image</dt><dd><code>" + esc(f.image) + "</code></dd>";
    if (f.attack.length) evidence += "<dt>ATT&amp;CK</dt><dd>" + esc(f.attack.join(", ")) + "</dd>";
    if (f.suppressed) evidence += "<dt>suppressed</dt><dd>" + esc(f.reason) + "</dd>";
    evidence += "</dl><div class=\"fix\"><strong>Fix:</strong> " + esc(f.fix) + "</div>";
    return "<tr class=\"finding" + (f.suppressed ? " suppressed" : "") + "\" data-severity=\"" + f.severity + "\">" +
      "<td><span class=\"sev sev-" + f.severity + "\">" + f.severity + "</span></td>" +
      "<td class=\"rule\"><code>" + esc(f.rule) + "</code><div class=\"hint\">" + esc(f.title) + "</div></td>" +
      "<td>" + esc(f.object) + "</td>" +
      "<td class=\"loc\">" + esc(f.file) + ":" + f.line + "</td>" +
      "<td><details><summary>" + esc(f.message) + "</summary>" + evidence + "</details></td></tr>";
  }
  function render() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var sev = severity.value, withSuppressed = suppressed.checked;
    var rows = data.filter(function (f) {
      if (f.suppressed && !withSuppressed) return false;
      if (sev && f.severity !== sev) return false;
      return words.every(function (w) { return f._text.indexOf(w) >= 0; });
    });
    rows.sort(function (a, b) {
      var x = key(a, sortKey), y = key(b, sortKey);
      if (x < y) return -sortDir;
      if (x > y) return sortDir;
      return rank[b.severity] - rank[a.severity] || (a.file + a.line < b.file + b.line ? -1 : 1);
    });
    body.innerHTML = rows.map(row).join("");
    var total = data.filter(function (f) { return withSuppressed || !f.suppressed; }).length;
    shown.textContent = "Showing " + rows.length + " of " + total + " findings";
    table.setAttribute("data-rows", String(rows.length));
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () {
      var k = th.getAttribute("data-key");
      sortDir = k === sortKey ? -sortDir : (k === "severity" ? -1 : 1);
      sortKey = k;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-technique]"), function (b) {
    b.addEventListener("click", function () {
      filter.value = b.getAttribute("data-technique");
      render();
      table.scrollIntoView({ behavior: "smooth" });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".bar-row"), function (b) {
    b.addEventListener("click", function () {
      severity.value = b.getAttribute("data-severity");
      render();
      table.scrollIntoView({ behavior: "smooth" });
    });
  });
  // A link can carry a filter: report.html#q=T1611&severity=high&suppressed=1
  var hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("q")) filter.value = hash.get("q");
  if (hash.has("severity")) severity.value = hash.get("severity");
  if (hash.get("suppressed") === "1") suppressed.checked = true;
  filter.addEventListener("input", render);
  severity.addEventListener("change", render);
  suppressed.addEventListener("change", render);
  render();
})();
"#;
