//! Command-line definitions (clap). The contract is `spec/cli.md`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tailor_check::Severity;
use tailor_pss::{Level, Version};

#[derive(Debug, Parser)]
#[command(name = "tailor", version = crate::VERSION, about = "Least privilege, tailored to each Kubernetes workload.", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against Pod Security Standards and hardening rules.
    #[command(
        after_help = "Examples:\n  tailor check examples/\n  helm template my-chart | tailor check -\n  tailor check deploy/ --level baseline --fail-on critical -o json"
    )]
    Check(CheckArgs),
    /// Evaluate pods and workloads exactly as the PodSecurity admission plugin does.
    #[command(
        after_help = "Examples:\n  tailor pss pod.yaml --level restricted --version v1.30\n  kubectl get pods -A -o yaml | tailor pss - --level baseline"
    )]
    Pss(PssArgs),
    /// Run a command and record every system call of it and its descendants as a seccomp profile.
    #[command(
        after_help = "Examples:\n  tailor record -o httpd.json -- busybox httpd -f -p 8080\n  tailor record --format seccompprofile -o profile.yaml -- python3 serve.py"
    )]
    Record(crate::commands::record::RecordArgs),
    /// Work with seccomp profiles: merge, diff, import, score.
    #[command(subcommand)]
    Seccomp(crate::commands::seccomp::SeccompCommand),
    /// Learn least privilege from evidence: RBAC and Pod Security needs from API-server audit logs.
    #[command(subcommand)]
    Learn(crate::commands::learn::LearnCommand),
    /// Evaluate RBAC against audit logs: replay every request, report unused permissions.
    #[command(subcommand)]
    Rbac(crate::commands::rbac::RbacCommand),
    /// Generate each workload's least-privilege version, with the evidence behind each change.
    Harden(crate::commands::harden::HardenArgs),
    /// The security model of an application: every component's privileges, as SECURITY.md states them.
    Model(crate::commands::model::ModelArgs),
    /// The admission webhook: Pod Security validation and injection of tailored profiles.
    #[command(subcommand)]
    Webhook(crate::commands::webhook::WebhookCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completion(crate::commands::completion::CompletionArgs),
    /// Write man pages generated from this command line (for packagers and `scripts/release`).
    #[command(hide = true)]
    Man(crate::commands::completion::ManArgs),
    /// List every rule with its ID, severity and ATT&CK techniques.
    #[command(after_help = "Examples:\n  tailor rules\n  tailor rules -o json | jq -r '.[].id'")]
    Rules(RulesArgs),
    /// Print one rule in full: rationale, remediation, ATT&CK techniques.
    #[command(after_help = "Example:\n  tailor explain TLR-runtime-socket")]
    Explain(ExplainArgs),
    /// Parse inputs and print counts only: the baseline of the end-to-end benchmark.
    #[command(hide = true)]
    DebugParse(DebugParseArgs),
}

#[derive(Debug, Args)]
pub struct DebugParseArgs {
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Pod Security level to evaluate against.
    #[arg(long, default_value = "restricted", value_parser = parse_level)]
    pub level: Level,
    /// Pod Security policy version: `latest` or `v1.N`.
    #[arg(long = "version", default_value = "latest", value_parser = parse_version)]
    pub policy_version: Version,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files, directories (searched recursively for *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(required_unless_present = "cluster", value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub cluster: crate::commands::cluster::ClusterArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<CheckFormat>,
    /// Exit with 1 when a finding has this severity or higher.
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    pub fail_on: Severity,
    /// Write the report to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Configuration with exemptions (default: `.tailor.yaml` in the current directory, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A copy of the kubelet's seccomp root (/var/lib/kubelet/seccomp): `Localhost` profiles the
    /// workloads reference are read from it, scored, and reported missing when absent.
    #[arg(long, value_name = "DIR")]
    pub seccomp_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: RulesFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule ID, e.g. PSS-privileged (`tailor rules` lists them).
    pub rule: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct PssArgs {
    /// Files, directories (searched recursively for *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format: one JSON object per evaluated object and line.
    #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
    pub output: PssFormat,
    /// Write the output to this file (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
    Yaml,
    Sarif,
    Junit,
    Github,
    Markdown,
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PssFormat {
    Json,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse().map_err(|e| format!("{e}"))
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse().map_err(|e| format!("{e}"))
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}
