//! `tailor check --cluster`: the live-cluster input of `tailor check` (issue #9, in progress).

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Read the objects from the cluster of the current kubeconfig context (read-only).
    #[arg(long)]
    pub cluster: bool,
    /// With --cluster: only this namespace.
    #[arg(short = 'n', long, value_name = "NS", requires = "cluster")]
    pub namespace: Option<String>,
    /// With --cluster: every namespace.
    #[arg(short = 'A', long, requires = "cluster", conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
}
