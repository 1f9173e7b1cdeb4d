//! Parsing throughput on the shared corpus (`../shared/corpus`, ~10 MB of real manifests):
//! one core (split + parse every document in turn) and all cores (files and documents in
//! parallel, as the CLI does). `cargo bench -p tailor-manifest`; criterion reports MB/s.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use tailor_manifest::files::{expand, Input};
use tailor_manifest::{parse_document, parse_stream, split_documents};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

fn corpus() -> Vec<String> {
    let (inputs, _) = expand(&[CORPUS]);
    inputs.iter().filter_map(|i: &Input| i.read().ok()).collect()
}

fn parse_one_core(texts: &[String]) -> usize {
    let mut objects = 0;
    for text in texts {
        for raw in split_documents(text) {
            if let Ok(Some(doc)) = parse_document(&raw) {
                objects += doc.objects().0.len();
            }
        }
    }
    objects
}

fn parse_all_cores(texts: &[String]) -> usize {
    texts
        .par_iter()
        .map(|text| {
            parse_stream(text)
                .iter()
                .flatten()
                .map(|d| d.objects().0.len())
                .sum::<usize>()
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let texts = corpus();
    if texts.is_empty() {
        eprintln!("SKIPPED: no corpus at {CORPUS}");
        return;
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::Bytes(bytes as u64)).sample_size(10);
    group.bench_function("one_core", |b| b.iter(|| parse_one_core(&texts)));
    group.bench_function("all_cores", |b| b.iter(|| parse_all_cores(&texts)));
    group.bench_function("split_only", |b| {
        b.iter(|| texts.iter().map(|t| split_documents(t).len()).sum::<usize>())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
