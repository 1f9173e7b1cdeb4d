//! `tailor rbac replay|unused` (issue #7, in progress).

#[derive(Debug, clap::Subcommand)]
pub enum RbacCommand {}

pub fn run(_args: RbacCommand) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor rbac is not implemented yet")
}
