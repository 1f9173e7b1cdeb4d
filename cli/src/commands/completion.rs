//! `tailor completion SHELL` and the hidden `tailor man --out-dir DIR`: shell completions and
//! man pages, both generated from the clap definitions so they never drift from the CLI.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::Exit;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tailor completion bash > /etc/bash_completion.d/tailor\n  \
                        tailor completion zsh > \"${fpath[1]}/_tailor\"\n  \
                        tailor completion fish > ~/.config/fish/completions/tailor.fish"
)]
pub struct CompletionArgs {
    /// The shell to generate the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write `tailor.1` and one `tailor-<verb>.1` page per subcommand into.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

pub fn run(args: CompletionArgs) -> anyhow::Result<Exit> {
    // clap_complete offers hidden commands too; the scripts offer only what `--help` shows.
    let full = Cli::command();
    let mut command = clap::Command::new("tailor")
        .version(crate::VERSION)
        .about(full.get_about().cloned().unwrap_or_default())
        .subcommand_required(true)
        .subcommands(full.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned());
    clap_complete::generate(args.shell, &mut command, "tailor", &mut std::io::stdout());
    Ok(Exit::Clean)
}

pub fn man(args: ManArgs) -> anyhow::Result<Exit> {
    std::fs::create_dir_all(&args.out_dir).with_context(|| format!("{}: cannot create", args.out_dir.display()))?;
    let command = Cli::command();
    write_pages(&command, "tailor", &args.out_dir)?;
    Ok(Exit::Clean)
}

/// One page per command, named like git's (`tailor-seccomp-merge.1`), recursively.
fn write_pages(command: &clap::Command, name: &str, dir: &Path) -> anyhow::Result<()> {
    let command = command
        .clone()
        .name(name.to_owned())
        .display_name(name.replace('-', " "));
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).with_context(|| format!("{}: cannot write", path.display()))?;
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        write_pages(subcommand, &format!("{name}-{}", subcommand.get_name()), dir)?;
    }
    Ok(())
}
