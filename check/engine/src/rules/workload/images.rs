//! Image references: `:latest` or no tag (which means `:latest`), and tags without a digest.
//!
//! A reference is `[registry[:port]/]path[:tag][@algorithm:digest]`; the tag is what follows
//! the last `:` of the last path component, so `host:5000/image` has no tag. With a digest the
//! runtime pulls by digest and ignores the tag. References that are not real ones
//! (placeholders such as `FILLED BY THE OPERATOR`, `${IMAGE}`, `{{ .Values.image }}`) are left
//! alone.

use tailor_kube::{containers, PodTemplate};

use super::Hits;
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::Rule;

pub(super) const MUTABLE_TAG: Rule = Rule {
    id: "TLR-image-mutable-tag",
    title: "Image is :latest or untagged",
    severity: Severity::Medium,
    rationale: "`:latest` (or no tag) runs whatever was pushed last: a compromised registry account or a mistaken push changes what runs on the next pull, and no two nodes are sure to run the same code.",
    remediation: "Reference the image by digest (image@sha256:…), or at least by an immutable version tag, and let an automated updater bump it.",
    attack: &[IMPLANT_INTERNAL_IMAGE, MALICIOUS_IMAGE],
    ms_threat_matrix: None,
};

/// Info: pinning by digest is supply-chain hygiene, and almost no manifest does it.
pub(super) const NO_DIGEST: Rule = Rule {
    id: "TLR-image-no-digest",
    title: "Image not pinned by digest",
    severity: Severity::Info,
    rationale: "A tag can be moved to other content at any time; only a digest names exactly the image that was reviewed and scanned.",
    remediation: "Append the digest of the reviewed image (image:tag@sha256:…); tools such as crane digest or a registry's API print it.",
    attack: &[IMPLANT_INTERNAL_IMAGE, MALICIOUS_IMAGE],
    ms_threat_matrix: None,
};

/// The parts of an image reference.
#[derive(Debug, PartialEq, Eq)]
struct ImageReference<'a> {
    repository: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// Parses a reference; `None` for what cannot be one: templates and placeholders
/// (`${IMAGE}`, `FILLED BY THE OPERATOR`, `gcr.io/YOUR_PROJECT/app`), `ko://` build
/// references, empty parts.
fn parse(image: &str) -> Option<ImageReference<'_>> {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return None;
    }
    let last_component = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (repository, tag) = match rest[last_component..].rfind(':') {
        Some(colon) => {
            let colon = last_component + colon;
            (&rest[..colon], Some(&rest[colon + 1..]))
        }
        None => (rest, None),
    };
    if !is_repository(repository) || tag.is_some_and(|t| !is_tag(t)) {
        return None;
    }
    Some(ImageReference {
        repository,
        tag,
        digest,
    })
}

/// `[domain[:port]/]path`: the first component is a domain when it has a `.` or a `:`, is
/// `localhost` or has upper case (as the distribution library decides); path components are
/// lower case.
fn is_repository(repository: &str) -> bool {
    let (domain, path) = match repository.split_once('/') {
        Some((first, path))
            if first.contains(['.', ':']) || first == "localhost" || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), path)
        }
        _ => (None, repository),
    };
    let domain_ok = domain.is_none_or(|d| {
        let (host, port) = d.split_once(':').unwrap_or((d, "0"));
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit())
    });
    domain_ok
        && path.split('/').all(|component| {
            !component.is_empty()
                && component
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        })
}

/// Up to 128 word characters, `.` and `-`, not starting with either.
fn is_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `algorithm:encoded`, as the distribution spec defines a digest (at least 32 characters
/// encoded, which every registered algorithm exceeds).
fn is_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    !algorithm.is_empty()
        && algorithm
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '_' | '-'))
        && encoded.len() >= 32
        && encoded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | '_' | '-'))
}

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    for container in containers(&pod.spec) {
        let Some(image) = container.image() else { continue };
        let Some(reference) = parse(image.trim()) else { continue };
        if reference.digest.is_some() {
            continue;
        }
        let field = container.path_to("image");
        match reference.tag {
            None => hits.add(
                &MUTABLE_TAG,
                field,
                Some(container.name()),
                format!("{container} uses image {image:?} without a tag, which pulls :latest"),
            ),
            Some("latest") => hits.add(
                &MUTABLE_TAG,
                field,
                Some(container.name()),
                format!("{container} uses image {image:?}: :latest runs whatever was pushed last"),
            ),
            Some(tag) => hits.add(
                &NO_DIGEST,
                field,
                Some(container.name()),
                format!("{container} uses image {image:?} by tag {tag:?} only, without a digest"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    const DIGEST: &str = "sha256:4a1f8d0c3b1f0e6f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f";

    fn reference<'a>(repository: &'a str, tag: Option<&'a str>, digest: Option<&'a str>) -> Option<ImageReference<'a>> {
        Some(ImageReference {
            repository,
            tag,
            digest,
        })
    }

    #[test]
    fn parses_references() {
        assert_eq!(parse("nginx"), reference("nginx", None, None));
        assert_eq!(
            parse("Registry.Example.com/team/img"),
            reference("Registry.Example.com/team/img", None, None)
        );
        assert_eq!(
            parse("REGION-docker.pkg.dev/app"),
            reference("REGION-docker.pkg.dev/app", None, None)
        );
        assert_eq!(parse("nginx:1.25"), reference("nginx", Some("1.25"), None));
        assert_eq!(parse("host:5000/team/img"), reference("host:5000/team/img", None, None));
        assert_eq!(
            parse("host:5000/team/img:v2"),
            reference("host:5000/team/img", Some("v2"), None)
        );
        assert_eq!(
            parse("localhost:5000/img:latest"),
            reference("localhost:5000/img", Some("latest"), None)
        );
        let pinned = format!("nvcr.io/nim/meta/llama@{DIGEST}");
        assert_eq!(parse(&pinned), reference("nvcr.io/nim/meta/llama", None, Some(DIGEST)));
        let both = format!("registry:443/img:1.0@{DIGEST}");
        assert_eq!(parse(&both), reference("registry:443/img", Some("1.0"), Some(DIGEST)));
        // Not references: placeholders, templates, malformed parts.
        for bad in [
            "",
            "FILLED BY THE OPERATOR",
            "${IMAGE}",
            "{{ .Values.image }}",
            "img:",
            "img@sha256:short",
            "img@nodigest",
            ":tag",
            "a/",
            "gcr.io/YOUR_PROJECT/app:latest",
            "ko://github.com/kserve/kserve/cmd/manager",
            "img:$(TAG)",
            "host:port/img",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    fn image_findings(images: &[&str]) -> Vec<(String, String)> {
        let containers: Vec<_> = images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"containers":containers,"ephemeralContainers":[{"name":"debug","image":"busybox:latest"}]}});
        testing::findings(&[pod])
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-image"))
            .map(|f| (f.rule.to_owned(), f.field))
            .collect()
    }

    #[test]
    fn reports_latest_untagged_and_tag_only_images() {
        let pinned = format!("img:1.0@{DIGEST}");
        let found = image_findings(&[
            "nginx",
            "nginx:latest",
            "host:5000/img",
            "nginx:1.25",
            &pinned,
            "FILLED BY THE OPERATOR",
        ]);
        let expected = [
            ("TLR-image-mutable-tag", "spec.containers[0].image"),
            ("TLR-image-mutable-tag", "spec.containers[1].image"),
            ("TLR-image-mutable-tag", "spec.containers[2].image"),
            ("TLR-image-no-digest", "spec.containers[3].image"),
            ("TLR-image-mutable-tag", "spec.ephemeralContainers[0].image"),
        ];
        let found: Vec<(&str, &str)> = found.iter().map(|(r, f)| (r.as_str(), f.as_str())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn messages_name_container_image_and_reason() {
        let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"initContainers":[{"name":"init","image":"busybox"}],"containers":[{"name":"app","image":"app:2.1"}]}});
        let findings = testing::findings(&[pod]);
        let untagged = findings.iter().find(|f| f.rule == MUTABLE_TAG.id).unwrap();
        assert_eq!(
            untagged.message,
            "init container \"init\" uses image \"busybox\" without a tag, which pulls :latest"
        );
        assert_eq!(untagged.severity, Severity::Medium);
        let tag_only = findings.iter().find(|f| f.rule == NO_DIGEST.id).unwrap();
        assert_eq!(
            tag_only.message,
            "container \"app\" uses image \"app:2.1\" by tag \"2.1\" only, without a digest"
        );
        assert_eq!(tag_only.container.as_deref(), Some("app"));
    }
}
