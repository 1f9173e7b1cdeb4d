//! `tailor learn rbac|pss`: least privilege from API-server audit logs (issue #7, in progress).

#[derive(Debug, clap::Subcommand)]
pub enum LearnCommand {}

pub fn run(_args: LearnCommand) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor learn is not implemented yet")
}
