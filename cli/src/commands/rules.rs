//! `tailor rules` and `tailor explain ID`: the rule registry, for people and for scripts.

use serde::Serialize;
use tailor_check::rules::{self, attack, Rule};

use crate::cli::{ExplainArgs, RulesArgs, RulesFormat};
use crate::{output, Exit};

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: &'a str,
    severity: String,
    rationale: &'a str,
    remediation: &'a str,
    attack: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    ms_threat_matrix: Option<&'a str>,
}

impl<'a> From<&'a Rule> for RuleJson<'a> {
    fn from(rule: &'a Rule) -> Self {
        RuleJson {
            id: rule.id,
            title: rule.title,
            severity: rule.severity.to_string(),
            rationale: rule.rationale,
            remediation: rule.remediation,
            attack: rule.attack,
            ms_threat_matrix: rule.ms_threat_matrix,
        }
    }
}

pub fn list(args: RulesArgs) -> anyhow::Result<Exit> {
    let mut all: Vec<&Rule> = rules::all().collect();
    all.sort_by_key(|r| r.id);
    let text = match args.output {
        RulesFormat::Json => {
            let rules: Vec<RuleJson> = all.into_iter().map(RuleJson::from).collect();
            serde_json::to_string_pretty(&rules)? + "\n"
        }
        RulesFormat::Table => {
            let width = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut text = format!("{:<width$}  {:<8}  {:<28}  TITLE\n", "ID", "SEVERITY", "ATT&CK");
            for rule in all {
                let severity = rule.severity.as_str().to_uppercase();
                text += &format!(
                    "{:<width$}  {severity:<8}  {:<28}  {}\n",
                    rule.id,
                    rule.attack.join(","),
                    rule.title
                );
            }
            text
        }
    };
    output::write(None, &text)?;
    Ok(Exit::Clean)
}

pub fn explain(args: ExplainArgs) -> anyhow::Result<Exit> {
    let Some(rule) = rules::by_id(&args.rule) else {
        eprintln!("tailor: unknown rule ID {:?} (`tailor rules` lists them)", args.rule);
        return Ok(Exit::InputError);
    };
    let mut text = format!("{}: {}\n\nSeverity: {}\n", rule.id, rule.title, rule.severity);
    if !rule.attack.is_empty() {
        text += "MITRE ATT&CK:\n";
        for technique in rule.attack {
            text += &format!("  {technique}  {}\n", attack::name(technique).unwrap_or(""));
        }
    }
    if let Some(ms) = rule.ms_threat_matrix {
        text += &format!("Microsoft Threat Matrix for Kubernetes: {ms}\n");
    }
    text += &format!(
        "\nWhy it matters:\n  {}\n\nHow to fix:\n  {}\n",
        rule.rationale, rule.remediation
    );
    text += &format!(
        "\nTo accept the risk for one object, annotate it:\n  tailor.dev/ignore: \"{} -- <reason>\"\nor add an exemption with a reason (and an expiry date) to .tailor.yaml.\n",
        rule.id
    );
    output::write(None, &text)?;
    Ok(Exit::Clean)
}
