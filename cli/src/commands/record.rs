//! `tailor record [-o FILE] [--format F] -- CMD ARGS...`: runs the command, records every
//! syscall of its process tree (`tailor-record`), writes the profile (`tailor-seccomp`) and
//! exits with the command's exit status (128 + signal when a signal ended it).

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use tailor_record::{Arch, Recording};
use tailor_seccomp::runtime::Runtime;
use tailor_seccomp::Profile;

use crate::{output, Exit};

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Write the profile to this file (mode 0600) instead of stdout (where the command's
    /// own output goes too).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The profile's form.
    #[arg(long, value_enum, default_value = "oci")]
    pub format: RecordFormat,
    /// The profile's name (the `SeccompProfile` object's name, the Localhost file
    /// `tailor/NAME.json`); by default the command's file name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The OCI runtime whose own calls after installing the filter (before `execve` of the
    /// program) the profile must allow; `all` covers crun and runc, `none` records the program only.
    #[arg(long, value_enum, default_value = "all")]
    pub runtime: RuntimeChoice,
    /// The command to run, after `--`.
    #[arg(trailing_var_arg = true, required = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RuntimeChoice {
    All,
    Crun,
    Runc,
    None,
}

impl RuntimeChoice {
    /// The system calls the chosen runtimes make between installing the filter and `execve`.
    fn calls(self) -> impl Iterator<Item = &'static str> {
        let runtimes: &[Runtime] = match self {
            RuntimeChoice::All => &Runtime::ALL,
            RuntimeChoice::Crun => &[Runtime::Crun],
            RuntimeChoice::Runc => &[Runtime::Runc],
            RuntimeChoice::None => &[],
        };
        runtimes
            .iter()
            .flat_map(|runtime| runtime.after_filter().iter().copied())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// OCI runtime-spec `linux.seccomp` JSON (runc, crun, `docker --security-opt seccomp=`).
    Oci,
    /// Security Profiles Operator `SeccompProfile` CRD (YAML).
    Seccompprofile,
    /// The kubelet Localhost profile (OCI JSON, to `-o FILE` or stdout) plus where it goes
    /// on the node and the matching `securityContext.seccompProfile` (to stdout with `-o`,
    /// to stderr without, so stdout stays one JSON document).
    K8sLocalhost,
}

pub fn run(args: RecordArgs) -> anyhow::Result<Exit> {
    let recording = tailor_record::record(&args.command).context("recording")?;
    for (audit_arch, number) in &recording.unknown {
        eprintln!("tailor: warning: syscall {number} on architecture {audit_arch:#x} has no name in Tailor's tables; not in the profile");
    }
    let profile = profile_of(&recording, args.runtime);
    let name = match &args.name {
        Some(name) => name.clone(),
        None => default_name(args.command.first().map(OsString::as_os_str).unwrap_or_default()),
    };
    let text = match args.format {
        RecordFormat::Oci | RecordFormat::K8sLocalhost => profile.to_oci_json(),
        RecordFormat::Seccompprofile => tailor_seccomp::kube::to_seccomp_profile_crd(&profile, &name, None)?,
    };
    output::write(args.output.as_deref(), &text)?;
    if args.format == RecordFormat::K8sLocalhost {
        let layout = tailor_seccomp::kube::localhost(&format!("tailor/{name}.json"))?;
        let guide = format!(
            "# Copy the profile to {} on every node that may run the pod, then select it with:\n{}",
            layout.node_path, layout.security_context
        );
        match args.output {
            Some(_) => output::write(None, &guide)?,
            None => eprint!("{guide}"),
        }
    }
    // The command's status is Tailor's, whatever it is: the shared `Exit` codes (0/1/2) do
    // not cover it, and everything is written and flushed at this point.
    std::process::exit(recording.exit.shell_code())
}

/// The command's file name as a Kubernetes object name (DNS-1123 label: lowercase
/// letters, digits and `-`), e.g. `/usr/sbin/busybox` → `busybox`, `My_Tool` → `my-tool`.
fn default_name(command: &std::ffi::OsStr) -> String {
    let file_name = std::path::Path::new(command)
        .file_name()
        .unwrap_or(command)
        .to_string_lossy();
    let label: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    let label = label.trim_matches('-');
    if label.is_empty() {
        "recorded".to_string()
    } else {
        label.to_string()
    }
}

/// One allow list over every architecture seen: the native one (with its compat
/// sub-architectures) is the profile's, names from a compat ABI are folded into it
/// (OCI names are resolved per architecture by the runtime).
fn profile_of(recording: &Recording, runtime: RuntimeChoice) -> Profile {
    let arch = Arch::native()
        .or_else(|| recording.syscalls.keys().next().copied())
        .unwrap_or(Arch::X86_64);
    let names = recording.syscalls.values().flatten().map(|name| name.to_string());
    Profile::allow_list(arch, names.chain(runtime.calls().map(str::to_owned)))
}
