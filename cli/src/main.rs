//! `tailor`: least privilege, tailored to each Kubernetes workload.
//!
//! The binary is thin: it parses the command line, reads inputs through `tailor-manifest`,
//! hands objects to the pure engines (`tailor-pss`, `tailor-check`) and writes their output.
//! Exit codes follow `spec/cli.md`: 0 clean, 1 findings at or above the threshold (or a Pod
//! Security denial for `tailor pss`), 2 usage or input error.

mod allocator;
mod cli;
mod commands;
mod load;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Every command but the webhook server is a batch job whose peak memory is what counts.
    if !matches!(cli.command, cli::Command::Webhook(_)) {
        allocator::purge_freed_memory_immediately();
    }
    let result = match cli.command {
        cli::Command::Check(args) => commands::check::run(args),
        cli::Command::Pss(args) => commands::pss::run(args),
        cli::Command::Record(args) => commands::record::run(args),
        cli::Command::Seccomp(command) => commands::seccomp::run(command),
        cli::Command::Learn(command) => commands::learn::run(command),
        cli::Command::Rbac(command) => commands::rbac::run(command),
        cli::Command::Harden(args) => commands::harden::run(args),
        cli::Command::Model(args) => commands::model::run(args),
        cli::Command::Webhook(command) => commands::webhook::run(command),
        cli::Command::Completion(args) => commands::completion::run(args),
        cli::Command::Man(args) => commands::completion::man(args),
        cli::Command::Rules(args) => commands::rules::list(args),
        cli::Command::Explain(args) => commands::rules::explain(args),
        cli::Command::DebugParse(args) => commands::debug_parse::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("tailor: {err:#}");
            Exit::InputError.into()
        }
    }
}

/// `tailor --version`: the crate version and the commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("TAILOR_GIT_COMMIT"), ")");

/// Exit codes shared by every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Clean = 0,
    Findings = 1,
    InputError = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}
