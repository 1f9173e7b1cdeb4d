//! `tailor check --cluster`: the live-cluster input of `tailor check`. Objects are listed by
//! `tailor-cluster` (read-only, paged, rate-limited) and handed, as they arrive, to the same
//! visitor that checks objects read from files; a cluster object's "file" is its pseudo-source
//! `cluster://<namespace>/<Kind>/<name>`, with no line.
//!
//! What the credentials could not list is returned as `not_assessed`; `tailor check` then
//! exits 2 (its input could not be read whole), like an unreadable file: never a silent pass.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use tailor_check::report::NamespaceDryRun;
use tailor_check::{Entry, InputError, Inventory, ObjectReport, ObjectSource};
use tailor_cluster::namespaces::{self, Workload};
use tailor_cluster::resources::report_order;
use tailor_cluster::{ClusterObject, ConnectOptions, Scan, ScanOptions, Scope};
use tailor_kube::{ArcStr, KubeObject, PodTemplate, TypeMeta};
use tailor_manifest::Positions;
use tailor_pss::Version;

use crate::load::{self, Loaded, LoadedObject, ObjectLocator};

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Read the objects from the cluster of the current kubeconfig context (read-only: list and
    /// get, never Secrets, never exec). Kinds it may not list are reported as `not_assessed`
    /// and make the exit code 2.
    #[arg(long)]
    pub cluster: bool,
    /// With --cluster: only this namespace (default: the kubeconfig context's namespace).
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

/// How many listed objects may wait for the checker: the listing pauses beyond that, so
/// memory holds a few pages, not the cluster.
const BACKLOG: usize = 1024;

/// Lists the cluster and visits each object as it arrives; the results come back in
/// [`report_order`] (`report` gives a result's object). Fails only when no client can be built (no kubeconfig, bad credentials file).
pub fn load<R, F>(
    args: &ClusterArgs,
    visit: F,
    report: impl Fn(&R) -> &ObjectReport,
) -> anyhow::Result<(Loaded<R>, Scan)>
where
    F: Fn(LoadedObject) -> R,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
    };
    let client = runtime
        .block_on(tailor_cluster::client(&connect))
        .map_err(|e| anyhow::anyhow!("--cluster: {e}"))?;
    let scope = if args.all_namespaces {
        Scope::AllNamespaces
    } else {
        Scope::Namespace(
            args.namespace
                .clone()
                .unwrap_or_else(|| client.default_namespace().to_owned()),
        )
    };
    let (sink, mut objects) = tokio::sync::mpsc::channel(BACKLOG);
    let scan = runtime.spawn(tailor_cluster::scan(client, ScanOptions::new(scope), sink));
    let mut loaded = Loaded {
        results: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        skipped: 0,
    };
    // Cluster objects have no source text: every field "is" at line 0.
    let no_positions = Positions::default();
    while let Some(object) = objects.blocking_recv() {
        match visit_object(object, &no_positions, &visit) {
            Ok(Some(result)) => loaded.results.push(result),
            Ok(None) => loaded.skipped += 1,
            Err(error) => loaded.errors.push(error),
        }
    }
    let scan = runtime.block_on(scan)?;
    // Concurrent lists deliver in no fixed order; reports must not depend on it.
    loaded.results.sort_by_cached_key(|result| {
        let object = report(result);
        report_order(
            &object.api_version,
            &object.kind,
            object.namespace.as_deref(),
            object.name.as_deref(),
        )
    });
    Ok((loaded, scan))
}

fn visit_object<R>(
    object: ClusterObject,
    no_positions: &Positions,
    visit: &impl Fn(LoadedObject) -> R,
) -> Result<Option<R>, InputError> {
    let ClusterObject { source: file, value } = object;
    let Some(type_meta) = TypeMeta::of(&value) else {
        return Ok(None);
    };
    let metadata = |key: &str| value["metadata"][key].as_str().map(ArcStr::from);
    let source = ObjectSource {
        file: file.into(),
        line: 0,
        namespace: metadata("namespace"),
        name: metadata("name"),
        type_meta,
    };
    let decoded = load::extract_pod(&source.type_meta, &value)
        .and_then(|pod| Ok((pod, KubeObject::decode(&source.type_meta, &value)?)));
    match decoded {
        Ok((pod, kube)) => Ok(Some(visit(LoadedObject {
            source,
            value: &value,
            pod,
            kube,
            locator: ObjectLocator::document(no_positions),
        }))),
        Err(err) => Err(InputError {
            message: format!(
                "{} {}: {err}",
                source.type_meta.kind,
                source.name.as_deref().unwrap_or("<unnamed>")
            ),
            file: source.file.to_string(),
            line: 0,
            column: 0,
        }),
    }
}

/// The namespace dry run of every Namespace read, over the workloads loaded in it.
pub fn namespace_dry_run(inventory: &Inventory, version: Version) -> Vec<NamespaceDryRun> {
    let mut workloads: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for (entry, _) in inventory.workloads() {
        if let Some(namespace) = entry.source.namespace.as_deref() {
            workloads.entry(namespace).or_default().push(entry);
        }
    }
    let mut runs: Vec<NamespaceDryRun> = inventory
        .kube_objects()
        .filter_map(|(_, object)| match object {
            KubeObject::Namespace(namespace) => Some(&namespace.metadata),
            _ => None,
        })
        .map(|metadata| {
            let name = metadata.name.as_deref().unwrap_or_default();
            let labels = metadata.labels.clone().unwrap_or_default();
            // Pod Security looks at volumes: whole pods, one namespace at a time.
            let entries = workloads.get(name).map(Vec::as_slice).unwrap_or_default();
            let pods: Vec<(String, Cow<PodTemplate>)> = entries
                .iter()
                .filter_map(|entry| {
                    let kind = entry.source.type_meta.kind.to_ascii_lowercase();
                    let name = format!("{kind}/{}", entry.source.name.as_deref().unwrap_or_default());
                    Some((name, entry.whole_pod()?))
                })
                .collect();
            let workloads: Vec<Workload> = pods
                .iter()
                .map(|(name, pod)| Workload {
                    name: name.clone(),
                    pod: pod.as_ref(),
                })
                .collect();
            namespaces::dry_run(name, &labels, &workloads, version)
        })
        .collect();
    runs.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    runs
}
