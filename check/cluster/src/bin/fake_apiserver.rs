//! `tailor-fake-apiserver CORPUS_DIR COUNT KUBECONFIG_OUT`: serves COUNT objects cycled from
//! the manifests under CORPUS_DIR over HTTPS like the Kubernetes API server, writes a
//! kubeconfig for it to KUBECONFIG_OUT, prints `ready`, and serves until killed. For
//! `bench/cluster-scale.sh`.

use tailor_cluster::fake_apiserver::{corpus_objects, scaled, start, Fixture};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [corpus, count, kubeconfig] = args.as_slice() else {
        return Err("usage: tailor-fake-apiserver CORPUS_DIR COUNT KUBECONFIG_OUT".into());
    };
    let corpus = corpus_objects(std::path::Path::new(corpus));
    if corpus.is_empty() {
        return Err("no Kubernetes objects under the corpus directory".into());
    }
    let objects = scaled(&corpus, count.parse()?);
    let server = start(Fixture {
        objects,
        ..Fixture::default()
    })
    .await?;
    std::fs::write(kubeconfig, server.kubeconfig("default"))?;
    println!("ready {}", server.addr);
    std::future::pending::<()>().await;
    Ok(())
}
