//! `tailor harden` (issue #6, in progress).

#[derive(Debug, clap::Args)]
pub struct HardenArgs {}

pub fn run(_args: HardenArgs) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor harden is not implemented yet")
}
