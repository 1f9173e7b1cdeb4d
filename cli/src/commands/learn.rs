//! `tailor learn rbac|pss`: least privilege from API-server audit logs (`tailor-audit`).
//!
//! Also home of the audit-log input shared with `tailor rbac`: discovery of files, directories
//! and rotated sets, gzip, a progress bar on a terminal, malformed lines reported on stderr.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use tailor_audit::files::{self, LogSource};
use tailor_audit::reader::{self, Counting};
use tailor_audit::{Event, LearnOptions, RbacLearner, ReadStats, SubjectFilter};

use crate::output;
use crate::progress::Progress;
use crate::Exit;

#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// The minimal Roles/ClusterRoles and bindings that allow exactly what a subject did.
    #[command(
        after_help = "Examples:\n  tailor learn rbac --audit-log /var/log/kubernetes/audit/ --serviceaccount ml:triton\n  tailor learn rbac --audit-log audit.log --user bob --only-allowed -o json"
    )]
    Rbac(LearnRbacArgs),
    /// Pod Security needs from the admission plugin's audit annotations and denials: namespace
    /// labels, exemptions and per-workload securityContext changes.
    #[command(after_help = "Example:\n  tailor learn pss --audit-log /var/log/kubernetes/audit/")]
    Pss(LearnPssArgs),
}

#[derive(Debug, Args)]
pub struct AuditLogArgs {
    /// Audit logs: files (plain or gzip), directories (rotated sets read oldest first) or `-`.
    #[arg(long = "audit-log", value_name = "F", required = true, num_args = 1..)]
    pub audit_logs: Vec<String>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false, id = "subject")]
pub struct SubjectArgs {
    /// A service account, as NAMESPACE:NAME.
    #[arg(long, value_name = "NS:NAME", value_parser = parse_service_account)]
    pub serviceaccount: Option<SubjectFilter>,
    /// A user (also the user an admin impersonated: `impersonatedUser` is the subject).
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// Every request by a member of this group.
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
}

impl SubjectArgs {
    pub fn filter(&self) -> Option<SubjectFilter> {
        self.serviceaccount
            .clone()
            .or_else(|| self.user.clone().map(SubjectFilter::User))
            .or_else(|| self.group.clone().map(SubjectFilter::Group))
    }
}

fn parse_service_account(s: &str) -> Result<SubjectFilter, String> {
    SubjectFilter::service_account(s).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct LearnRbacArgs {
    #[command(flatten)]
    pub logs: AuditLogArgs,
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Learn from allowed requests only (by default denials count too: they are the needs).
    #[arg(long)]
    pub only_allowed: bool,
    /// Do not narrow rules to the object names seen (`resourceNames`).
    #[arg(long)]
    pub expand_names: bool,
    /// Grant namespaced resources in every namespace instead of the namespaces seen.
    #[arg(long)]
    pub expand_namespaces: bool,
    /// Output: YAML documents ready for `kubectl apply`, or a JSON `v1/List`.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: ObjectsFormat,
    /// Write to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObjectsFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct LearnPssArgs {
    #[command(flatten)]
    pub logs: AuditLogArgs,
    /// Output: the JSON report, or the recommended objects as YAML documents (namespace label
    /// patches and the PodSecurity AdmissionConfiguration).
    #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
    pub output: PssReportFormat,
    /// Write to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PssReportFormat {
    Json,
    Yaml,
}

pub fn run(command: LearnCommand) -> anyhow::Result<Exit> {
    match command {
        LearnCommand::Rbac(args) => learn_rbac(args),
        LearnCommand::Pss(args) => learn_pss(args),
    }
}

fn learn_rbac(args: LearnRbacArgs) -> anyhow::Result<Exit> {
    let subject = args.subject.filter().expect("clap requires a subject");
    let options = LearnOptions {
        only_allowed: args.only_allowed,
        expand_names: args.expand_names,
        expand_namespaces: args.expand_namespaces,
    };
    let mut learner = RbacLearner::new(subject.clone(), options);
    let read = read_audit_logs(&args.logs.audit_logs, |_, _, event| learner.observe(event));
    if learner.events == 0 {
        eprintln!("tailor: no request by {subject} in {} events", read.stats.events);
    }
    let objects = learner.objects();
    let text = match args.output {
        ObjectsFormat::Yaml => yaml_documents(&objects),
        ObjectsFormat::Json => {
            let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": objects});
            serde_json::to_string_pretty(&list)? + "\n"
        }
    };
    output::write(args.output_file.as_deref(), &text)?;
    Ok(read.exit())
}

fn learn_pss(args: LearnPssArgs) -> anyhow::Result<Exit> {
    let mut learner = tailor_audit::pss::PssLearner::default();
    let read = read_audit_logs(&args.logs.audit_logs, |_, _, event| learner.observe(event));
    let text = match args.output {
        PssReportFormat::Json => serde_json::to_string_pretty(&learner.report())? + "\n",
        PssReportFormat::Yaml => yaml_documents(&learner.objects()),
    };
    output::write(args.output_file.as_deref(), &text)?;
    Ok(read.exit())
}

/// YAML documents for `kubectl apply -f -`, ending with a newline.
fn yaml_documents(objects: &[serde_json::Value]) -> String {
    let mut text = tailor_manifest::emit::to_yaml_documents(objects);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// What reading the logs gave, besides the events.
pub struct ReadLogs {
    pub stats: ReadStats,
    /// Logs that could not be opened or read (reported on stderr already).
    pub unreadable: usize,
}

impl ReadLogs {
    /// Exit 2 when a log could not be read; malformed lines alone are warnings, never fatal
    /// (a log being rotated ends in a half-written line).
    pub fn exit(&self) -> Exit {
        if self.unreadable > 0 {
            Exit::InputError
        } else {
            Exit::Clean
        }
    }
}

/// Streams every event of `paths` to `visit(log name, line, event)`, in order. Malformed lines
/// and unreadable logs are reported on stderr; the other logs are still read.
pub fn read_audit_logs(paths: &[String], mut visit: impl FnMut(&str, u64, &Event)) -> ReadLogs {
    let sources = files::discover(paths);
    let progress = progress(&sources);
    let mut read = ReadLogs {
        stats: ReadStats::default(),
        unreadable: 0,
    };
    for source in sources {
        let source = match source {
            Ok(source) => source,
            Err((path, err)) => {
                eprintln!("{path}: {err}");
                read.unreadable += 1;
                continue;
            }
        };
        let name = source.display_name();
        let result = open(&source, &progress).and_then(|stream| {
            reader::read_events(reader::decompress(stream)?, |line, event| visit(&name, line, event))
        });
        match result {
            Ok(stats) => {
                for malformed in &stats.malformed {
                    eprintln!("{name}:{}: skipped: {}", malformed.line, malformed.message);
                }
                if stats.malformed_count > stats.malformed.len() as u64 {
                    eprintln!(
                        "{name}: {} more malformed lines skipped",
                        stats.malformed_count - stats.malformed.len() as u64
                    );
                }
                read.stats.absorb(stats);
            }
            Err(err) => {
                eprintln!("{name}: {err}");
                read.unreadable += 1;
            }
        }
    }
    progress.finish();
    if read.stats.malformed_count > 0 {
        eprintln!(
            "tailor: read {} events, skipped {} malformed lines",
            read.stats.events, read.stats.malformed_count
        );
    }
    read
}

fn open(source: &LogSource, progress: &Progress) -> io::Result<Box<dyn BufRead>> {
    let raw: Box<dyn io::Read> = match source {
        LogSource::Stdin => Box::new(io::stdin().lock()),
        LogSource::File(path) => Box::new(File::open(path)?),
    };
    let raw: Box<dyn io::Read> = if progress.is_shown() {
        let progress = progress.clone();
        Box::new(Counting::new(raw, move |n| progress.inc(n as u64)))
    } else {
        raw
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, raw)))
}

/// Below this many bytes, reading is too quick for a bar to help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

fn progress(sources: &[Result<LogSource, (String, io::Error)>]) -> Progress {
    let total: u64 = sources
        .iter()
        .filter_map(|s| match s {
            Ok(LogSource::File(path)) => std::fs::metadata(path).ok().map(|m| m.len()),
            _ => None,
        })
        .sum();
    Progress::bytes(total, PROGRESS_MIN_BYTES)
}
