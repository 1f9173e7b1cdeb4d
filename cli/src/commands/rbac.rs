//! `tailor rbac replay|unused`: audit logs against RBAC objects (`tailor-audit`'s replay on
//! `tailor-check`'s permission resolver).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use tailor_audit::replay::Replayer;
use tailor_audit::SubjectFilter;
use tailor_check::rules::rbac::permissions::Permissions;
use tailor_check::{Entry, Inventory, LineTable};

use super::learn::{read_audit_logs, AuditLogArgs};
use crate::load::{self, Decode};
use crate::output;
use crate::Exit;

#[derive(Debug, Subcommand)]
pub enum RbacCommand {
    /// Decide every audited request again against RBAC objects: one JSON line per event with
    /// `allowed` and the rule that allows it; exit 1 if any is denied.
    #[command(
        after_help = "Examples:\n  tailor rbac replay --audit-log audit.log --rbac learned.yaml\n  tailor rbac replay --audit-log logs/ --rbac rbac/ --serviceaccount ml:triton"
    )]
    Replay(RbacArgs),
    /// Permissions granted but never used in the logs' window, per subject; and what wildcard
    /// rules were actually used for. Exit 1 if any permission is unused.
    #[command(after_help = "Example:\n  tailor rbac unused --audit-log logs/ --rbac rbac/")]
    Unused(RbacArgs),
}

#[derive(Debug, Args)]
pub struct RbacArgs {
    #[command(flatten)]
    pub logs: AuditLogArgs,
    /// Roles, ClusterRoles and bindings: files, directories or `-`.
    #[arg(long = "rbac", value_name = "PATH", required = true, num_args = 1..)]
    pub rbac: Vec<String>,
    /// Only the requests of this service account (NAMESPACE:NAME).
    #[arg(long, value_name = "NS:NAME", value_parser = parse_service_account, conflicts_with_all = ["user", "group"])]
    pub serviceaccount: Option<SubjectFilter>,
    /// Only the requests of this user.
    #[arg(long, value_name = "U", conflicts_with = "group")]
    pub user: Option<String>,
    /// Only the requests of members of this group.
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Decide by RBAC rules alone, without the API server's `system:masters` bypass (would
    /// these requests still be allowed outside that group?).
    #[arg(long)]
    pub rbac_only: bool,
    /// Write to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

fn parse_service_account(s: &str) -> Result<SubjectFilter, String> {
    SubjectFilter::service_account(s).map_err(|e| e.to_string())
}

impl RbacArgs {
    fn subject(&self) -> Option<SubjectFilter> {
        self.serviceaccount
            .clone()
            .or_else(|| self.user.clone().map(SubjectFilter::User))
            .or_else(|| self.group.clone().map(SubjectFilter::Group))
    }
}

pub fn run(command: RbacCommand) -> anyhow::Result<Exit> {
    let (args, unused) = match command {
        RbacCommand::Replay(args) => (args, false),
        RbacCommand::Unused(args) => (args, true),
    };
    let (inventory, input_errors) = load_rbac(&args.rbac);
    let permissions = Permissions::resolve(&inventory);
    let mut replayer = Replayer::new(&permissions);
    replayer.rbac_only = args.rbac_only;
    let subject = args.subject();
    let mut denied = 0u64;
    let mut unused_subjects = 0usize;
    let mut read = None;
    // Verdicts stream out as events are read: memory stays flat on a long log.
    output::write_with(args.output_file.as_deref(), |out| {
        let mut write_error = None;
        read = Some(read_audit_logs(&args.logs.audit_logs, |file, line, event| {
            if subject.as_ref().is_some_and(|s| !s.matches(&event.requester())) {
                return;
            }
            let allowed = replayer.decide(event);
            denied += u64::from(allowed.is_none());
            if !unused && write_error.is_none() {
                let mut verdict = replayer.verdict_json(event, &allowed);
                verdict["file"] = file.into();
                verdict["line"] = line.into();
                write_error = writeln!(out, "{verdict}").err();
            }
        }));
        if let Some(err) = write_error {
            return Err(err);
        }
        if unused {
            for subject in replayer.unused() {
                unused_subjects += 1;
                writeln!(out, "{subject}")?;
            }
        }
        Ok(())
    })?;
    let read = read.expect("the writer ran");
    let findings = if unused { unused_subjects > 0 } else { denied > 0 };
    Ok(if input_errors || read.exit() == Exit::InputError {
        Exit::InputError
    } else if findings {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// The RBAC objects under `paths`, through the manifest pipeline; input errors are printed.
fn load_rbac(paths: &[String]) -> (Inventory, bool) {
    let loaded = load::load(paths, Decode::Objects, |object| {
        object.kube.map(|kube| (object.source, kube))
    });
    for error in &loaded.errors {
        eprintln!("{error}");
    }
    let entries = loaded
        .results
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(object_index, (source, kube))| Entry {
            object_index,
            ..Entry::kube(source, kube, LineTable::default())
        })
        .collect();
    let inventory = Inventory {
        entries,
        ..Inventory::default()
    };
    (inventory, !loaded.errors.is_empty())
}
