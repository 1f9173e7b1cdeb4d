//! `restrictedVolumes` (restricted, v1.0+; replaces `hostPathVolumes`): volumes may only use
//! the sources that are safe for any user (config maps, secrets, projections, ephemeral
//! storage, claims, CSI, images). One implementation for every version.

use std::collections::BTreeSet;

use tailor_kube::{FieldPath, ObjectMeta, PodSpec, Volume};

use super::host_path_volumes;
use super::message::{pluralize, quote_list};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "restrictedVolumes";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[VersionedCheck::new(Version::V1(0), restricted_volumes_1_0).overriding(&[host_path_volumes::ID])],
};

/// A volume with any of these sources passes, even if it also has a forbidden one.
fn has_allowed_source(v: &Volume) -> bool {
    v.config_map.is_some()
        || v.csi.is_some()
        || v.downward_api.is_some()
        || v.empty_dir.is_some()
        || v.ephemeral.is_some()
        || v.image.is_some()
        || v.persistent_volume_claim.is_some()
        || v.projected.is_some()
        || v.secret.is_some()
}

/// Whether a volume has a given source.
type HasSource = fn(&Volume) -> bool;

/// The forbidden sources by JSON name, in the order the reference picks a volume's label.
const RESTRICTED_SOURCES: [(&str, HasSource); 21] = [
    ("hostPath", |v| v.host_path.is_some()),
    ("gcePersistentDisk", |v| v.gce_persistent_disk.is_some()),
    ("awsElasticBlockStore", |v| v.aws_elastic_block_store.is_some()),
    ("gitRepo", |v| v.git_repo.is_some()),
    ("nfs", |v| v.nfs.is_some()),
    ("iscsi", |v| v.iscsi.is_some()),
    ("glusterfs", |v| v.glusterfs.is_some()),
    ("rbd", |v| v.rbd.is_some()),
    ("flexVolume", |v| v.flex_volume.is_some()),
    ("cinder", |v| v.cinder.is_some()),
    ("cephfs", |v| v.cephfs.is_some()),
    ("flocker", |v| v.flocker.is_some()),
    ("fc", |v| v.fc.is_some()),
    ("azureFile", |v| v.azure_file.is_some()),
    ("vsphereVolume", |v| v.vsphere_volume.is_some()),
    ("quobyte", |v| v.quobyte.is_some()),
    ("azureDisk", |v| v.azure_disk.is_some()),
    ("photonPersistentDisk", |v| v.photon_persistent_disk.is_some()),
    ("portworxVolume", |v| v.portworx_volume.is_some()),
    ("scaleIO", |v| v.scale_io.is_some()),
    ("storageos", |v| v.storageos.is_some()),
];

fn restricted_volumes_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut names = Vec::new();
    let mut types = BTreeSet::new();
    let mut fields = Vec::new();
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        if has_allowed_source(volume) {
            continue;
        }
        names.push(volume.name.as_str());
        let path = FieldPath::keys("spec.volumes").index(i);
        // No known source at all (or only one this library does not know) is `unknown`.
        match RESTRICTED_SOURCES.iter().find(|(_, present)| present(volume)) {
            Some((source, _)) => {
                types.insert(*source);
                fields.push(path.key(*source));
            }
            None => {
                types.insert("unknown");
                fields.push(path);
            }
        }
    }
    if names.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("volume", "volumes", names.len()),
        quote_list(&names),
        pluralize("uses", "use", names.len()),
        pluralize("restricted volume type", "restricted volume types", types.len()),
        quote_list(&types)
    );
    CheckResult::forbidden("restricted volume types", detail, fields)
}
