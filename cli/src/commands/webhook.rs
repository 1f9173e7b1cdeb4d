//! `tailor webhook serve|certs|manifests` (issue #5, in progress).

#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {}

pub fn run(_args: WebhookCommand) -> anyhow::Result<crate::Exit> {
    anyhow::bail!("tailor webhook is not implemented yet")
}
