//! `tailor model` (issue #8, in progress).

#[derive(Debug, clap::Args)]
pub struct ModelArgs {}

pub fn run(_args: ModelArgs) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor model is not implemented yet")
}
