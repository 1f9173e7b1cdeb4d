//! `tailor pss`: one JSON line per evaluated object, with the admission plugin's message.

use serde::Serialize;
use tailor_pss::Evaluation;

use crate::cli::PssArgs;
use crate::{load, output, Exit};

/// One line of `tailor pss` output (fixed by `spec/cli.md`).
#[derive(Serialize)]
struct PssLine<'a> {
    file: &'a str,
    line: u32,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    level: String,
    version: String,
    policy_version: String,
    allowed: bool,
    reasons: Vec<&'a str>,
    message: String,
}

pub fn run(args: PssArgs) -> anyhow::Result<Exit> {
    let (level, version) = (args.policy.level, args.policy.policy_version);
    let loaded = load::load(&args.paths, load::Decode::Objects, |object| {
        let pod = object.pod.as_ref()?;
        let evaluation = tailor_pss::evaluate(level, version, &pod.metadata, &pod.spec);
        Some((json_line(&object.source, &evaluation), evaluation.allowed()))
    });
    for error in &loaded.errors {
        eprintln!("{error}");
    }
    let mut text = String::new();
    let mut denied = false;
    for (line, allowed) in loaded.results.into_iter().flatten() {
        text.push_str(&line);
        text.push('\n');
        denied |= !allowed;
    }
    output::write(args.output_file.as_deref(), &text)?;
    Ok(if !loaded.errors.is_empty() {
        Exit::InputError
    } else if denied {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

fn json_line(source: &tailor_check::ObjectSource, evaluation: &Evaluation) -> String {
    let line = PssLine {
        file: &source.file,
        line: source.line,
        api_version: &source.type_meta.api_version,
        kind: &source.type_meta.kind,
        namespace: source.namespace.as_deref(),
        name: source.name.as_deref(),
        level: evaluation.level.to_string(),
        version: evaluation.version.to_string(),
        policy_version: evaluation.policy_version.to_string(),
        allowed: evaluation.allowed(),
        reasons: evaluation.reasons(),
        message: evaluation.message(),
    };
    serde_json::to_string(&line).expect("plain data always serialises")
}
