//! `tailor webhook serve|certs|manifests`: thin wrappers over `tailor-webhook`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tailor_cluster::ConnectOptions;
use tailor_webhook::{certs, server, Config, Namespaces};

use crate::{output, Exit};

/// The deployment manifests (also in the repository as `deploy/webhook/`).
const MANIFESTS: &str = include_str!("../../../deploy/webhook/tailor-webhook.yaml");

#[derive(Debug, clap::Subcommand)]
pub enum WebhookCommand {
    /// Serve the admission webhook over HTTPS until SIGTERM (then drain and exit 0).
    Serve {
        /// PEM certificate chain; reloaded when the file changes.
        #[arg(long, value_name = "FILE")]
        tls_cert: PathBuf,
        /// PEM private key; reloaded when the file changes.
        #[arg(long, value_name = "FILE")]
        tls_key: PathBuf,
        #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
        listen: SocketAddr,
        /// Webhook configuration (YAML): podSecurity defaults/exemptions, deny, inject.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Namespace objects (YAML or JSON) whose labels set each namespace's policy. Without
        /// it the labels come from a watch of the cluster's Namespaces (the only API read).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["kubeconfig", "context"])]
        namespaces: Option<PathBuf>,
        /// Kubeconfig for the namespace watch; default $KUBECONFIG, ~/.kube/config, then the
        /// in-cluster service account, as kubectl.
        #[arg(long, value_name = "FILE")]
        kubeconfig: Option<PathBuf>,
        /// Kubeconfig context for the namespace watch.
        #[arg(long, value_name = "NAME")]
        context: Option<String>,
        /// How long in-flight requests may take to finish after SIGTERM.
        #[arg(long, default_value_t = 25, value_name = "SECONDS")]
        drain_timeout: u64,
    },
    /// Write a CA and serving certificate (ca.crt, tls.crt, tls.key) and print the caBundle.
    Certs {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// The webhook's Service name.
        #[arg(long, default_value = "tailor-webhook")]
        service: String,
        /// The Service's namespace.
        #[arg(long, default_value = "tailor-system")]
        namespace: String,
    },
    /// Print the deployment manifests (Namespace, RBAC, Deployment, Service, webhook configurations).
    Manifests {
        /// CA certificate whose base64 becomes the webhook configurations' caBundle.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        output_file: Option<PathBuf>,
    },
}

pub fn run(command: WebhookCommand) -> anyhow::Result<Exit> {
    match command {
        WebhookCommand::Serve {
            tls_cert,
            tls_key,
            listen,
            config,
            namespaces,
            kubeconfig,
            context,
            drain_timeout,
        } => {
            let read =
                |path: &PathBuf| std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()));
            let config = match &config {
                None => Config::default(),
                Some(path) => Config::parse(&path.display().to_string(), &read(path)?)
                    .map_err(|errors| anyhow::anyhow!(errors.join("\n")))?,
            };
            let namespaces = match &namespaces {
                None => server::NamespaceSource::Watch(ConnectOptions { kubeconfig, context }),
                Some(path) => server::NamespaceSource::Fixed(
                    Namespaces::parse(&path.display().to_string(), &read(path)?)
                        .map_err(|errors| anyhow::anyhow!(errors.join("\n")))?,
                ),
            };
            server::serve_until_signal(server::Options {
                listen,
                tls_cert,
                tls_key,
                config,
                namespaces,
                drain_timeout: Duration::from_secs(drain_timeout),
            })?;
            Ok(Exit::Clean)
        }
        WebhookCommand::Certs {
            out,
            service,
            namespace,
        } => {
            let generated = certs::generate(&service, &namespace).context("generating certificates")?;
            certs::write(&out, &generated).with_context(|| format!("writing into {}", out.display()))?;
            println!("{}", certs::ca_bundle(&generated.ca_pem));
            Ok(Exit::Clean)
        }
        WebhookCommand::Manifests { ca_file, output_file } => {
            let text = match &ca_file {
                None => MANIFESTS.to_owned(),
                Some(path) => {
                    let ca = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                    MANIFESTS.replace("caBundle: \"\"", &format!("caBundle: {}", certs::ca_bundle(&ca)))
                }
            };
            output::write(output_file.as_deref(), &text)?;
            Ok(Exit::Clean)
        }
    }
}
