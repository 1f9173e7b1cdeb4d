//! `tailor completion SHELL` (issue #10, in progress).

#[derive(Debug, clap::Args)]
pub struct CompletionArgs {}

pub fn run(_args: CompletionArgs) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor completion is not implemented yet")
}
