//! The inventory keeps only part of each workload's pod (see `Entry::workload`). On every
//! object of `../shared/corpus`: the whole pod comes back exactly, and the cross-object
//! analyses find the same on the kept pods as on whole ones, so nothing they read was set
//! aside.

use std::path::Path;

use tailor_check::{analyse, check_object, CheckOptions, Inventory, InventoryObject, Locate, ObjectSource};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{FieldPath, KubeObject, PodBearingKind, PodTemplate};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");

struct NoLines;

impl Locate for NoLines {
    fn locate(&self, _: &FieldPath) -> (u32, u32) {
        (0, 0)
    }
}

/// Every corpus object that decodes, with its defaulted pod; the inventory built from them.
fn load(corpus: &str) -> (Vec<PodTemplate>, Inventory) {
    let (files, _) = tailor_manifest::files::expand(&[corpus]);
    let mut pods = Vec::new();
    let mut inventory = Inventory::default();
    let mut object_index = 0;
    for file in &files {
        let text = file.read().unwrap();
        for document in tailor_manifest::parse_stream(&text).into_iter().flatten() {
            for object in document.objects().0 {
                let pod = match PodBearingKind::classify(&object.type_meta) {
                    Some(kind) => match PodTemplate::extract(kind, object.value) {
                        Ok(Some(mut pod)) => {
                            apply_admission_defaults(&mut pod);
                            Some(pod)
                        }
                        _ => continue,
                    },
                    None => None,
                };
                let Ok(kube) = KubeObject::decode(&object.type_meta, object.value) else {
                    continue;
                };
                let text_of = |key: &str| object.value["metadata"][key].as_str().map(Into::into);
                let source = ObjectSource {
                    file: file.display_name().into(),
                    line: 0,
                    type_meta: object.type_meta.clone(),
                    namespace: text_of("namespace"),
                    name: text_of("name"),
                };
                pods.extend(pod.clone());
                let checked = check_object(&CheckOptions::default(), &source, object.value, pod, kube, &NoLines);
                inventory.take(object_index, checked);
                object_index += 1;
            }
        }
    }
    (pods, inventory)
}

#[test]
fn kept_pods_lose_nothing_the_cross_object_analyses_read() {
    if !Path::new(CORPUS).is_dir() {
        eprintln!("SKIPPED: ../shared/corpus not found ({CORPUS})");
        return;
    }
    let (pods, mut inventory) = load(CORPUS);
    let whole: Vec<PodTemplate> = inventory
        .entries
        .iter()
        .filter_map(|entry| entry.whole_pod().map(|pod| pod.into_owned()))
        .collect();
    assert!(
        whole.len() > 500,
        "the corpus has hundreds of workloads, got {}",
        whole.len()
    );
    assert_eq!(whole.len(), pods.len());
    for (whole, pod) in whole.iter().zip(&pods) {
        assert_eq!((&whole.metadata, &whole.spec), (&pod.metadata, &pod.spec));
    }

    let findings = |inventory: &Inventory| {
        let mut found: Vec<String> = analyse(inventory)
            .into_iter()
            .map(|(object, f)| format!("{object} {} {} {}", f.rule, f.field, f.message))
            .collect();
        found.sort();
        found
    };
    let on_kept = findings(&inventory);
    let mut whole = whole.into_iter();
    for entry in &mut inventory.entries {
        if let InventoryObject::Workload(pod) = &mut entry.object {
            **pod = whole.next().unwrap();
        }
    }
    let on_whole = findings(&inventory);
    assert!(
        on_kept.len() > 500,
        "cross-object findings on the corpus: {}",
        on_kept.len()
    );
    assert_eq!(on_kept, on_whole);
}
