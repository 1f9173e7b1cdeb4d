//! `tailor seccomp merge|diff|import|score`: reads profile files, hands them to
//! `tailor-seccomp`, writes what it returns. Exit codes: 0 done (for `diff`: no difference),
//! 1 `diff` found differences (like diff(1)), 2 bad input or usage.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use tailor_seccomp::kube::{read_profiles, to_seccomp_profile_crd, NamedProfile};
use tailor_seccomp::{import, Arch, Profile};

use crate::{output, Exit};

#[derive(Debug, Subcommand)]
pub enum SeccompCommand {
    /// Merge profiles (replicas, the containers of a pod) into one that allows what any of
    /// them allows; the strictest default action wins.
    #[command(after_help = "Example:\n  tailor seccomp merge replica-1.json replica-2.json -o app.json")]
    Merge {
        /// Profiles: OCI JSON, or YAML with SeccompProfile objects (all of them are merged).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        write: WriteProfile,
    },
    /// Show the syscalls added, removed and changed from profile A to profile B. Exits 1
    /// when they differ, 0 when they do not.
    #[command(after_help = "Example:\n  tailor seccomp diff before.json after.json -o json")]
    Diff {
        #[arg(value_name = "A")]
        a: PathBuf,
        #[arg(value_name = "B")]
        b: PathBuf,
        /// Which SeccompProfile to take from a YAML file holding several.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[arg(short = 'o', long = "output", value_enum, default_value = "text")]
        format: DiffFormat,
        /// Write the report to this file (mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output_file: Option<PathBuf>,
    },
    /// Build a profile from kernel audit lines (type=SECCOMP, from SCMP_ACT_LOG) or from
    /// `strace -f` output.
    #[command(
        after_help = "Examples:\n  tailor seccomp import --from audit /var/log/audit/audit.log -o app.json\n  strace -f -o trace.txt ./app && tailor seccomp import --from strace trace.txt -o app.json"
    )]
    Import {
        #[arg(long, value_enum)]
        from: ImportSource,
        /// The audit log or strace output; `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The architecture: for strace, the one the trace was taken on (default: this
        /// machine's); for audit, the profile's (default: the first record's).
        #[arg(long, value_name = "ARCH")]
        arch: Option<String>,
        #[command(flatten)]
        write: WriteProfile,
    },
    /// Score a profile's effective attack surface: allowed syscalls against the container
    /// runtime's default profile, dangerous syscalls still allowed, and whether the
    /// container's capabilities make them reachable.
    #[command(
        after_help = "Example:\n  tailor seccomp score app.json --capabilities NET_BIND_SERVICE,SYS_ADMIN -o json"
    )]
    Score {
        /// The profile (OCI JSON or a SeccompProfile YAML).
        file: PathBuf,
        /// Capabilities the container holds (`SYS_ADMIN` or `CAP_SYS_ADMIN`), comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "CAP,...")]
        capabilities: Vec<String>,
        /// Score for this architecture (default: the profile's first).
        #[arg(long, value_name = "ARCH")]
        arch: Option<String>,
        /// Which SeccompProfile to take from a YAML file holding several.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
        format: ScoreFormat,
        /// Write the report to this file (mode 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        output_file: Option<PathBuf>,
    },
}

/// How a command that produces a profile writes it.
#[derive(Debug, clap::Args)]
pub struct WriteProfile {
    /// Write the profile to this file (mode 0600) instead of stdout.
    #[arg(short = 'o', long = "output", visible_alias = "output-file", value_name = "FILE")]
    output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "oci")]
    format: ProfileFormat,
    /// The SeccompProfile object's name (--format seccompprofile), the Localhost file
    /// `tailor/NAME.json` (--format k8s-localhost).
    #[arg(long, value_name = "NAME", default_value = "tailor-profile")]
    name: String,
    /// The SeccompProfile object's namespace (with --format seccompprofile).
    #[arg(long, value_name = "NAMESPACE")]
    namespace: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileFormat {
    /// OCI runtime-spec `linux.seccomp` JSON (also the kubelet Localhost file).
    Oci,
    /// Security Profiles Operator `SeccompProfile` CRD (YAML).
    Seccompprofile,
    /// The kubelet Localhost profile (OCI JSON, to `-o FILE` or stdout) plus where it goes
    /// on the node (`tailor/NAME.json`) and the matching `securityContext.seccompProfile`
    /// (to stdout with `-o`, to stderr without, so stdout stays one JSON document).
    K8sLocalhost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScoreFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    /// Kernel audit records (`type=SECCOMP` / `type=1326`).
    Audit,
    /// `strace -f` output.
    Strace,
}

pub fn run(command: SeccompCommand) -> anyhow::Result<Exit> {
    match command {
        SeccompCommand::Merge { files, write } => {
            let mut profiles = Vec::new();
            let mut labels = Vec::new();
            for path in &files {
                for named in load(path)? {
                    labels.push(label(path, &named));
                    profiles.push(named.profile);
                }
            }
            let merged = tailor_seccomp::merge(&profiles, &labels)?;
            for note in &merged.notes {
                eprintln!("tailor: note: {note}");
            }
            write_profile(&merged.profile, &write)?;
            Ok(Exit::Clean)
        }
        SeccompCommand::Diff {
            a,
            b,
            name,
            format,
            output_file,
        } => {
            let (profile_a, profile_b) = (load_one(&a, name.as_deref())?, load_one(&b, name.as_deref())?);
            let diff = tailor_seccomp::diff(&profile_a, &profile_b);
            let text = match format {
                DiffFormat::Text => diff.to_text(&a.display().to_string(), &b.display().to_string()),
                DiffFormat::Json => json(&diff),
            };
            output::write(output_file.as_deref(), &text)?;
            Ok(if diff.is_empty() { Exit::Clean } else { Exit::Findings })
        }
        SeccompCommand::Import {
            from,
            file,
            arch,
            write,
        } => {
            let arch = arch.as_deref().map(parse_arch).transpose()?;
            let text = read_text(&file)?;
            let imported = match from {
                ImportSource::Audit => import::from_audit(&text, arch),
                ImportSource::Strace => {
                    let arch = match arch.or_else(Arch::native) {
                        Some(arch) => arch,
                        None => bail!("this machine's architecture has no syscall table in Tailor: give --arch"),
                    };
                    import::from_strace(&text, arch)
                }
            }
            .map_err(|err| located(&file, &err))?;
            eprintln!(
                "tailor: {} syscall events, {} distinct syscalls",
                imported.events,
                imported.profile.syscalls[0].names.len()
            );
            for note in &imported.notes {
                eprintln!("tailor: note: {note}");
            }
            write_profile(&imported.profile, &write)?;
            Ok(Exit::Clean)
        }
        SeccompCommand::Score {
            file,
            capabilities,
            arch,
            name,
            format,
            output_file,
        } => {
            let arch = arch.as_deref().map(parse_arch).transpose()?;
            let profile = load_one(&file, name.as_deref())?;
            let score = tailor_seccomp::score(&profile, arch, &capabilities);
            let text = match format {
                ScoreFormat::Table => score.to_table(),
                ScoreFormat::Json => json(&score),
            };
            output::write(output_file.as_deref(), &text)?;
            Ok(Exit::Clean)
        }
    }
}

fn write_profile(profile: &Profile, write: &WriteProfile) -> anyhow::Result<()> {
    let text = match write.format {
        ProfileFormat::Oci | ProfileFormat::K8sLocalhost => profile.to_oci_json(),
        ProfileFormat::Seccompprofile => to_seccomp_profile_crd(profile, &write.name, write.namespace.as_deref())?,
    };
    output::write(write.output.as_deref(), &text)?;
    if write.format == ProfileFormat::K8sLocalhost {
        let guide = tailor_seccomp::kube::localhost(&format!("tailor/{}.json", write.name))?.guide();
        match write.output {
            Some(_) => output::write(None, &guide)?,
            None => eprint!("{guide}"),
        }
    }
    Ok(())
}

fn json(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("reports serialize");
    text.push('\n');
    text
}

fn parse_arch(name: &str) -> anyhow::Result<Arch> {
    Arch::from_name(name).with_context(|| {
        let known: Vec<&str> = Arch::ALL.iter().map(|arch| arch.short_name()).collect();
        format!("unknown architecture {name:?} (known: {})", known.join(", "))
    })
}

/// The text of `path`, or of standard input for `-`.
fn read_text(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `FILE:LINE:COL: field: message`, or `FILE: field: message` when the position is unknown.
fn located(path: &Path, err: &tailor_seccomp::Error) -> anyhow::Error {
    let separator = if err.line > 0 { ":" } else { ": " };
    anyhow::anyhow!("{}{separator}{err}", path.display())
}

fn load(path: &Path) -> anyhow::Result<Vec<NamedProfile>> {
    read_profiles(&read_text(path)?).map_err(|err| located(path, &err))
}

/// The one profile of `path`, or its SeccompProfile called `name`.
fn load_one(path: &Path, name: Option<&str>) -> anyhow::Result<Profile> {
    let mut profiles = load(path)?;
    if let Some(name) = name {
        profiles.retain(|named| named.name.as_deref() == Some(name));
        if profiles.is_empty() {
            bail!("{}: no SeccompProfile named {name:?}", path.display());
        }
    }
    if profiles.len() > 1 {
        let names: Vec<&str> = profiles.iter().filter_map(|named| named.name.as_deref()).collect();
        bail!(
            "{}: holds {} SeccompProfiles ({}): choose one with --name",
            path.display(),
            profiles.len(),
            names.join(", ")
        );
    }
    Ok(profiles.remove(0).profile)
}

fn label(path: &Path, named: &NamedProfile) -> String {
    match &named.name {
        Some(name) => format!("{}#{name}", path.display()),
        None => path.display().to_string(),
    }
}
