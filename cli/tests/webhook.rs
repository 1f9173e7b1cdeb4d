//! `tailor webhook`: end-to-end over real TLS against the real `tailor webhook serve` process.
//!
//! Certificates come from `tailor webhook certs`; the client trusts only that CA and names the
//! Service's DNS name, so every handshake also proves the leaf verifies against the CA.
//! Decisions are compared with `tailor_pss::evaluate` (what `tailor pss` prints) on the
//! upstream conformance fixtures and the corpus; patches are applied with `json-patch`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tailor_cluster::fake_apiserver::{Fixture, Server as FakeApiServer};
use tailor_kube::{defaults::apply_admission_defaults, PodBearingKind, PodTemplate, TypeMeta};
use tailor_pss::{Level, Version};

use common::{repo_root, tailor, temp_dir};

const SERVER_NAME: &str = "tailor-webhook.tailor-system.svc";
const CONFORMANCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/psa");

/// Profile injected in the `inject` namespace.
const CONFIG: &str = r#"
podSecurity:
  exemptions: {namespaces: [exempt]}
deny: [TLR-runtime-socket]
inject:
  - name: everything
    namespaces: [inject, exempt]
    profile:
      seccomp: RuntimeDefault
      capabilities: {add: [NET_BIND_SERVICE]}
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      automountServiceAccountToken: false
"#;

/// A running `tailor webhook serve`, killed on drop.
struct Webhook {
    child: Child,
    addr: SocketAddr,
    certs: PathBuf,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Namespaces `<level>-v1-<N>` and `<level>-latest` enforcing each level and version, plus a
/// few for specific tests.
fn namespaces_yaml() -> String {
    let mut items = Vec::new();
    let mut ns = |name: String, labels: Value| {
        items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}));
    };
    for level in ["baseline", "restricted"] {
        for minor in 0..=37 {
            ns(
                format!("{level}-v1-{minor}"),
                json!({"pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/enforce-version": format!("v1.{minor}")}),
            );
        }
        ns(
            format!("{level}-latest"),
            json!({"pod-security.kubernetes.io/enforce": level}),
        );
    }
    ns("inject".into(), json!({}));
    ns(
        "exempt".into(),
        json!({"pod-security.kubernetes.io/enforce": "restricted"}),
    );
    ns(
        "warned".into(),
        json!({"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}),
    );
    serde_json::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": items})).unwrap()
}

/// The webhook with the namespaces of [`namespaces_yaml`] from a file.
fn start(name: &str) -> Webhook {
    let dir = temp_dir(name);
    std::fs::write(dir.join("namespaces.json"), namespaces_yaml()).unwrap();
    let namespaces = dir.join("namespaces.json");
    start_in(&dir, &["--namespaces".as_ref(), namespaces.as_os_str()])
}

/// The webhook, its files in `dir`, with `namespace_args` saying where namespace labels come from.
fn start_in(dir: &Path, namespace_args: &[&std::ffi::OsStr]) -> Webhook {
    let certs = dir.join("certs");
    let out = tailor(&["webhook", "certs", "--out", certs.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.join("config.yaml"), CONFIG).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["webhook", "serve", "--listen", "127.0.0.1:0", "--drain-timeout", "5"])
        .arg("--tls-cert")
        .arg(certs.join("tls.crt"))
        .arg("--tls-key")
        .arg(certs.join("tls.key"))
        .arg("--config")
        .arg(dir.join("config.yaml"))
        .args(namespace_args)
        .current_dir(repo_root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tailor webhook serve starts");
    let (tx, rx) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let addr = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs its address");
        let log: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
        if log["msg"] == "listening" {
            break log["addr"].as_str().unwrap().parse().unwrap();
        }
    };
    Webhook {
        child,
        addr,
        certs,
        stderr: rx,
    }
}

/// A TLS client trusting only `ca.crt`, over one keep-alive HTTP/1.1 connection.
struct Client {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
}

fn tls_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(ca).unwrap();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

impl Client {
    fn connect(webhook: &Webhook) -> Client {
        Client::connect_with(webhook.addr, &webhook.certs.join("ca.crt")).expect("TLS handshake")
    }

    fn connect_with(addr: SocketAddr, ca: &Path) -> Result<Client, std::io::Error> {
        let conn = rustls::ClientConnection::new(tls_config(ca), SERVER_NAME.try_into().unwrap()).unwrap();
        let tcp = TcpStream::connect(addr)?;
        tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock)?;
        }
        Ok(Client { tls })
    }

    /// One request; returns the status code and body.
    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {SERVER_NAME}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        // The server may answer (413) and close before reading a refused body: write errors
        // are left for the response read to show.
        let _ = self
            .tls
            .write_all(head.as_bytes())
            .and_then(|()| self.tls.write_all(body));
        let _ = self.tls.flush();
        read_response(&mut self.tls).expect("a response")
    }

    fn review(&mut self, path: &str, review: &Value) -> Value {
        let (code, body) = self.request("POST", path, &serde_json::to_vec(review).unwrap());
        assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(answer["response"]["uid"], review["request"]["uid"]);
        answer["response"].clone()
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_response(stream: &mut impl Read) -> Option<(u16, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8(head).unwrap();
    let code = head.split(' ').nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).ok()?;
    Some((code, body))
}

fn review(uid: &str, operation: &str, resource: &str, namespace: &str, object: &Value, old: Option<&Value>) -> Value {
    let (group, resource, sub) = match resource {
        "deployments" => ("apps", "deployments", ""),
        "pods/ephemeralcontainers" => ("", "pods", "ephemeralcontainers"),
        other => ("", other, ""),
    };
    let mut request = json!({
        "uid": uid,
        "kind": {"group": group, "version": "v1", "kind": object["kind"]},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "namespace": namespace,
        "name": object["metadata"]["name"],
        "operation": operation,
        "userInfo": {"username": "system:serviceaccount:ci:deployer"},
        "object": object,
    });
    if !sub.is_empty() {
        request["subResource"] = json!(sub);
    }
    if let Some(old) = old {
        request["oldObject"] = old.clone();
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}

/// The pod as admission evaluates it (defaulted), from a Pod object.
fn decoded(pod: &Value) -> PodTemplate {
    let mut template = PodTemplate::extract(PodBearingKind::Pod, pod).unwrap().unwrap();
    apply_admission_defaults(&mut template);
    template
}

fn expected_message(pod: &Value, level: Level, version: Version) -> Option<String> {
    let template = decoded(pod);
    let evaluation = tailor_pss::evaluate(level, version, &template.metadata, &template.spec);
    (!evaluation.allowed()).then(|| {
        let name = pod["metadata"]["name"].as_str().unwrap();
        format!("pods \"{name}\" is forbidden: {}", evaluation.message())
    })
}

fn yaml_objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    tailor_manifest::parse_stream(&text)
        .into_iter()
        .filter_map(Result::ok)
        .flat_map(|d| d.objects().0.into_iter().map(|o| o.value.clone()).collect::<Vec<_>>())
        .collect()
}

#[test]
fn conformance_fixtures_are_decided_as_tailor_pss_decides_them() {
    let expected = Path::new(CONFORMANCE).join("expected.jsonl");
    if !expected.is_file() {
        eprintln!("SKIPPED: ../shared/conformance/psa not found ({CONFORMANCE})");
        return;
    }
    let webhook = start("conformance");
    let mut client = Client::connect(&webhook);
    let (mut denied, mut total) = (0, 0);
    for line in std::fs::read_to_string(expected).unwrap().lines() {
        let fixture: Value = serde_json::from_str(line).unwrap();
        let (level, version) = (fixture["level"].as_str().unwrap(), fixture["version"].as_str().unwrap());
        let pod = yaml_objects(
            &Path::new(CONFORMANCE)
                .join("testdata")
                .join(fixture["file"].as_str().unwrap()),
        )
        .pop()
        .unwrap();
        let namespace = format!("{level}-{}", version.replace('.', "-"));
        let response = client.review(
            "/validate",
            &review(&format!("uid-{total}"), "CREATE", "pods", &namespace, &pod, None),
        );
        let want = expected_message(&pod, level.parse().unwrap(), version.parse().unwrap());
        assert_eq!(response["allowed"], want.is_none(), "{line}: {response}");
        assert_eq!(
            response["allowed"],
            fixture["expect"] == "allow",
            "{line}: upstream verdict"
        );
        assert_eq!(
            response["auditAnnotations"]["enforce-policy"],
            format!("{level}:{version}")
        );
        if let Some(message) = want {
            assert_eq!(response["status"]["code"], 403);
            assert_eq!(response["status"]["reason"], "Forbidden");
            assert_eq!(response["status"]["message"], message.as_str());
            denied += 1;
        }
        total += 1;
    }
    assert!(total > 4000 && denied > 1000, "{total} fixtures, {denied} denied");
}

/// Pod objects from every pod-bearing object of the corpus (workloads: their template).
fn corpus_pods() -> Option<Vec<Value>> {
    let corpus = common::corpus()?;
    let (inputs, _) = tailor_manifest::files::expand(&[corpus.to_str().unwrap()]);
    let mut pods = Vec::new();
    for input in inputs {
        let Ok(text) = input.read() else { continue };
        for document in tailor_manifest::parse_stream(&text).into_iter().filter_map(Result::ok) {
            for object in document.objects().0 {
                let Some(kind) = TypeMeta::of(object.value).and_then(|t| PodBearingKind::classify(&t)) else {
                    continue;
                };
                let Ok(Some(_)) = PodTemplate::extract(kind, object.value) else {
                    continue;
                };
                let template = match kind {
                    PodBearingKind::Pod => object.value.clone(),
                    _ => {
                        let path = kind.template_path().to_string().replace('.', "/");
                        object.value.pointer(&format!("/{path}")).cloned().unwrap_or_default()
                    }
                };
                let mut metadata = template.get("metadata").cloned().unwrap_or(json!({}));
                metadata["name"] = json!(format!("corpus-{}", pods.len()));
                pods.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}));
            }
        }
    }
    Some(pods)
}

/// Restricted checks the injection profile can satisfy by itself.
const FIXABLE: [&str; 4] = [
    "allowPrivilegeEscalation",
    "capabilities_restricted",
    "runAsNonRoot",
    "seccompProfile_restricted",
];

fn restricted_checks(pod: &Value) -> Vec<&'static str> {
    let t = decoded(pod);
    let evaluation = tailor_pss::evaluate(Level::Restricted, Version::Latest, &t.metadata, &t.spec);
    evaluation.violations.iter().map(|v| v.check).collect()
}

#[test]
fn corpus_pods_are_validated_like_tailor_pss_and_patched_to_restricted() {
    let Some(pods) = corpus_pods() else { return };
    assert!(pods.len() > 50, "corpus pods: {}", pods.len());
    let webhook = start("corpus");
    let mut client = Client::connect(&webhook);
    let (mut patched_to_restricted, mut checked) = (0, 0);
    for (i, pod) in pods.iter().enumerate() {
        let response = client.review(
            "/validate",
            &review(&format!("v{i}"), "CREATE", "pods", "restricted-latest", pod, None),
        );
        let want = expected_message(pod, Level::Restricted, Version::Latest);
        let tailor_denied = response["status"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("violates Tailor policy"));
        if !tailor_denied {
            assert_eq!(
                response["status"]["message"].as_str(),
                want.as_deref(),
                "{}",
                pod["metadata"]["name"]
            );
        }

        let response = client.review(
            "/mutate",
            &review(&format!("m{i}"), "CREATE", "pods", "inject", pod, None),
        );
        assert_eq!(response["allowed"], true);
        let before = restricted_checks(pod);
        let Some(patch) = response["patch"].as_str() else {
            assert!(
                before.iter().all(|c| !FIXABLE.contains(c)) || before.is_empty(),
                "no patch for {before:?}"
            );
            continue;
        };
        assert_eq!(response["patchType"], "JSONPatch");
        let ops: json_patch::Patch = serde_json::from_slice(&base64_decode(patch)).unwrap();
        let mut patched = pod.clone();
        json_patch::patch(&mut patched, &ops).unwrap_or_else(|e| panic!("patch applies: {e}"));
        let after = restricted_checks(&patched);
        assert!(
            after.iter().all(|c| before.contains(c)),
            "never loosens: {before:?} -> {after:?}"
        );
        if before.iter().all(|c| FIXABLE.contains(c)) {
            assert!(after.is_empty(), "{}: {before:?} -> {after:?}", pod["metadata"]["name"]);
            patched_to_restricted += 1;
        }
        // Reinvocation: nothing more to do.
        let again = client.review(
            "/mutate",
            &review(&format!("r{i}"), "CREATE", "pods", "inject", &patched, None),
        );
        assert!(again.get("patch").is_none(), "reinvocation patched again: {again}");
        checked += 1;
    }
    assert!(
        checked > 20 && patched_to_restricted > 20,
        "{checked} patched, {patched_to_restricted} to restricted"
    );

    // Exempt namespaces are never patched.
    let response = client.review("/mutate", &review("x", "CREATE", "pods", "exempt", &pods[0], None));
    assert!(response.get("patch").is_none());
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    bytes
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |acc, &v| acc << 6 | v as u32) << (6 * (4 - chunk.len()));
            let out = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.into_iter().take(chunk.len() - 1).collect::<Vec<_>>()
        })
        .collect()
}

fn root_pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "app", "image": "app:1"}]}})
}

#[test]
fn plugin_semantics_bad_input_health_metrics_reload_and_drain() {
    let mut webhook = start("semantics");
    let mut client = Client::connect(&webhook);

    // Warn and audit on an allowed pod; workloads only warned.
    let pod = root_pod("web");
    let response = client.review("/validate", &review("1", "CREATE", "pods", "warned", &pod, None));
    assert_eq!(response["allowed"], true);
    assert!(response["warnings"][0]
        .as_str()
        .unwrap()
        .starts_with("would violate PodSecurity \"restricted:latest\""));
    assert!(response["auditAnnotations"]["audit-violations"]
        .as_str()
        .unwrap()
        .starts_with("would violate"));
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x", "securityContext": {"privileged": true}}]}}}});
    let response = client.review(
        "/validate",
        &review("2", "CREATE", "deployments", "restricted-latest", &deployment, None),
    );
    assert_eq!(response["allowed"], true);
    assert!(response["warnings"][0].as_str().unwrap().contains("privileged"));

    // An ephemeral container on a restricted pod is evaluated (whole pod).
    let mut ok = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok"}, "spec": {
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "c", "image": "x", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}});
    let old = ok.clone();
    ok["spec"]["ephemeralContainers"] = json!([{"name": "debug", "image": "busybox"}]);
    let response = client.review(
        "/validate",
        &review(
            "3",
            "UPDATE",
            "pods/ephemeralcontainers",
            "restricted-latest",
            &ok,
            Some(&old),
        ),
    );
    assert_eq!(response["allowed"], false);
    assert!(response["status"]["message"].as_str().unwrap().contains("\"debug\""));
    // A label-only update of a violating pod is not re-evaluated.
    let mut relabelled = pod.clone();
    relabelled["metadata"]["labels"] = json!({"a": "b"});
    let response = client.review(
        "/validate",
        &review("4", "UPDATE", "pods", "restricted-latest", &relabelled, Some(&pod)),
    );
    assert_eq!(response["allowed"], true);

    // Namespaces: invalid labels are Invalid (422).
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": {"pod-security.kubernetes.io/enforce": "strict"}}});
    let response = client.review("/validate", &review("5", "CREATE", "namespaces", "", &ns, None));
    assert_eq!(
        (response["allowed"].clone(), response["status"]["code"].clone()),
        (json!(false), json!(422))
    );

    // Denied Tailor rule: a container runtime socket.
    let socket = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "s"}, "spec": {
        "containers": [{"name": "c", "image": "x", "volumeMounts": [{"name": "sock", "mountPath": "/var/run/docker.sock"}]}],
        "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}});
    let response = client.review("/validate", &review("6", "CREATE", "pods", "inject", &socket, None));
    assert_eq!(response["allowed"], false, "{response}");
    assert!(response["status"]["message"]
        .as_str()
        .unwrap()
        .contains("TLR-runtime-socket"));

    // Unknown namespace: pods denied with an internal error, as the plugin does.
    let response = client.review("/validate", &review("7", "CREATE", "pods", "nowhere", &pod, None));
    assert_eq!(response["status"]["code"], 500);

    // Bad input: clear 4xx, connection still usable.
    for (body, want) in [
        (b"{not json".to_vec(), "malformed AdmissionReview"),
        (
            br#"{"apiVersion":"v1","kind":"Pod"}"#.to_vec(),
            "expected apiVersion admission.k8s.io/v1",
        ),
        (
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
            "has no request",
        ),
    ] {
        let (code, text) = client.request("POST", "/validate", &body);
        assert_eq!(code, 400);
        assert!(
            String::from_utf8_lossy(&text).contains(want),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }
    let (code, _) = client.request("GET", "/validate", b"");
    assert_eq!(code, 405);
    // Refused on the declared length, before the body is read: only the head is sent, as a
    // client writing the whole body could see its read cut by the server's reset.
    let mut big = Client::connect(&webhook);
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: {SERVER_NAME}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        3 * 1024 * 1024 + 1
    );
    big.tls.write_all(head.as_bytes()).unwrap();
    big.tls.flush().unwrap();
    assert_eq!(read_response(&mut big.tls).expect("a response").0, 413);
    let mut fresh = Client::connect(&webhook);
    let (code, body) = fresh.request("GET", "/healthz", b"");
    assert_eq!((code, body.as_slice()), (200, b"ok".as_slice()));
    let (code, _) = fresh.request("GET", "/readyz", b"");
    assert_eq!(code, 200);
    let (code, body) = fresh.request("GET", "/metrics", b"");
    let metrics = String::from_utf8(body).unwrap();
    assert_eq!(code, 200);
    assert!(
        metrics.contains(
            "tailor_webhook_requests_total{endpoint=\"validate\",operation=\"CREATE\",decision=\"deny\",code=\"403\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("tailor_webhook_certificate_expiry_timestamp_seconds"));
    assert!(metrics.contains("tailor_webhook_request_duration_seconds_bucket"));

    // Plain HTTP on the TLS port: the connection is closed without an HTTP answer.
    let mut plain = TcpStream::connect(webhook.addr).unwrap();
    plain.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));

    // Certificate rotation: new handshakes get the new certificate, the open connection stays.
    let old_ca = webhook.certs.join("old-ca.crt");
    std::fs::copy(webhook.certs.join("ca.crt"), &old_ca).unwrap();
    let out = tailor(&["webhook", "certs", "--out", webhook.certs.to_str().unwrap()]);
    assert!(out.status.success());
    let new_ca = webhook.certs.join("ca.crt");
    let deadline = Instant::now() + Duration::from_secs(15);
    while Client::connect_with(webhook.addr, &new_ca).is_err() {
        assert!(Instant::now() < deadline, "the new certificate is served");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        Client::connect_with(webhook.addr, &old_ca).is_err(),
        "the old certificate is gone"
    );
    let (code, _) = client.request("GET", "/healthz", b"");
    assert_eq!(code, 200, "the established connection survived the rotation");

    // SIGTERM: drain and exit 0; logs are JSON and never carry the pods.
    unsafe { libc::kill(webhook.child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = webhook.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server stops after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let logs: Vec<String> = webhook.stderr.try_iter().collect();
    assert!(
        logs.iter().any(|l| l.contains("\"msg\":\"certificate reloaded\"")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("\"msg\":\"stopped\"")));
    assert!(
        logs.iter()
            .all(|l| !l.contains("docker.sock") && !l.contains("busybox")),
        "{logs:?}"
    );
}

#[test]
fn certs_are_private_and_manifests_pass_restricted() {
    let dir = temp_dir("certs");
    let out = tailor(&[
        "webhook",
        "certs",
        "--out",
        dir.to_str().unwrap(),
        "--service",
        "hook",
        "--namespace",
        "sec",
    ]);
    assert!(out.status.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("tls.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let ca = std::fs::read_to_string(dir.join("ca.crt")).unwrap();
    let bundle = String::from_utf8(out.stdout).unwrap();
    assert_eq!(base64_decode(bundle.trim()), ca.as_bytes(), "stdout is the caBundle");

    let out = tailor(&[
        "webhook",
        "manifests",
        "--ca-file",
        dir.join("ca.crt").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let manifests = String::from_utf8(out.stdout).unwrap();
    assert_eq!(manifests.matches(&format!("caBundle: {}", bundle.trim())).count(), 3);
    assert!(!manifests.contains("caBundle: \"\""));

    let report = common::json(&tailor(&[
        "check",
        "--level",
        "restricted",
        "deploy/webhook",
        "-o",
        "json",
    ]));
    assert_eq!(report["summary"]["findings"], 0, "{report}");
    assert_eq!(report["summary"]["errors"], 0);
    let kinds: BTreeMap<String, usize> =
        report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, o| {
                *m.entry(o["kind"].as_str().unwrap().to_owned()).or_default() += 1;
                m
            });
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "Deployment",
        "PodDisruptionBudget",
        "Service",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        assert!(kinds.contains_key(kind), "{kind} in {kinds:?}");
    }
    // Suppressed findings are only the digest the release pins.
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(finding["rule"], "TLR-image-no-digest");
    }
}

fn namespace(name: &str, enforce: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": name, "uid": format!("uid-{name}"), "labels": {"pod-security.kubernetes.io/enforce": enforce}}})
}

/// Polls `/readyz` until `want` or the deadline; returns the last code.
fn wait_ready(webhook: &Webhook, want: u16, within: Duration) -> u16 {
    let deadline = Instant::now() + within;
    loop {
        let (code, _) = Client::connect(webhook).request("GET", "/readyz", b"");
        if code == want || Instant::now() > deadline {
            return code;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fake API server serving `fixture`, and a webhook that watches its Namespaces through a
/// kubeconfig; the runtime keeps the API server running.
fn start_watching(name: &str, fixture: Fixture) -> (tokio::runtime::Runtime, FakeApiServer, Webhook) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let api = runtime
        .block_on(tailor_cluster::fake_apiserver::start(fixture))
        .unwrap();
    let dir = temp_dir(name);
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, api.kubeconfig("default")).unwrap();
    let webhook = start_in(&dir, &["--kubeconfig".as_ref(), kubeconfig.as_os_str()]);
    (runtime, api, webhook)
}

/// Polls until the webhook's decision on `pod` in `ns` is `allowed` (the watch is asynchronous).
fn wait_decision(client: &mut Client, ns: &str, pod: &Value, allowed: bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = client.review("/validate", &review("w", "CREATE", "pods", ns, pod, None));
        if response["allowed"] == allowed || Instant::now() > deadline {
            return response;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn namespace_labels_follow_a_watch_of_the_api_server() {
    let (_runtime, api, webhook) = start_watching(
        "watch",
        Fixture {
            objects: vec![namespace("team", "baseline")],
            ..Fixture::default()
        },
    );
    assert_eq!(wait_ready(&webhook, 200, Duration::from_secs(20)), 200);
    // Changes made before the watch request would be lost to it (the fake server has no history).
    let deadline = Instant::now() + Duration::from_secs(20);
    while !api.served().paths.iter().any(|p| p.contains("watch=true")) {
        assert!(Instant::now() < deadline, "no watch request: {:?}", api.served().paths);
        std::thread::sleep(Duration::from_millis(20));
    }
    let paths = api.served().paths;
    assert!(
        paths.iter().all(|p| p.starts_with("/api/v1/namespaces?")),
        "only Namespaces are read: {paths:?}"
    );

    let mut client = Client::connect(&webhook);
    let mut privileged = root_pod("p");
    privileged["spec"]["containers"][0]["securityContext"] = json!({"privileged": true});
    // From the first list: baseline denies a privileged pod, allows a root one.
    let response = wait_decision(&mut client, "team", &privileged, false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("baseline:latest"),
        "{response}"
    );
    assert_eq!(
        wait_decision(&mut client, "team", &root_pod("r"), true)["allowed"],
        true
    );

    // A namespace added through the watch: restricted denies the root pod.
    api.apply(namespace("fresh", "restricted"));
    let response = wait_decision(&mut client, "fresh", &root_pod("r"), false);
    assert_eq!(
        response["status"]["message"].as_str(),
        expected_message(&root_pod("r"), Level::Restricted, Version::Latest).as_deref(),
        "{response}"
    );

    // Relabelled through the watch: privileged allows the privileged pod.
    api.apply(namespace("team", "privileged"));
    assert_eq!(wait_decision(&mut client, "team", &privileged, true)["allowed"], true);

    // Deleted through the watch: the decision is no longer restricted's.
    api.delete(namespace("fresh", "restricted"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = client.review(
            "/validate",
            &review("d", "CREATE", "pods", "fresh", &root_pod("r"), None),
        );
        let message = response["status"]["message"].as_str().unwrap_or_default().to_owned();
        if !message.contains("restricted") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still restricted after the delete: {response}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn not_ready_until_namespaces_are_listed() {
    let (_runtime, api, webhook) = start_watching(
        "watch-forbidden",
        Fixture {
            objects: vec![namespace("team", "baseline")],
            forbidden: vec![("namespaces".to_owned(), None)],
            ..Fixture::default()
        },
    );
    // The watcher retries the 403; the webhook keeps serving health but is not ready.
    let deadline = Instant::now() + Duration::from_secs(20);
    while api.served().forbidden < 2 {
        assert!(Instant::now() < deadline, "the list was not retried");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, body) = Client::connect(&webhook).request("GET", "/readyz", b"");
    assert_eq!(
        (code, String::from_utf8_lossy(&body).as_ref()),
        (503, "namespaces not listed yet")
    );
    let (code, _) = Client::connect(&webhook).request("GET", "/healthz", b"");
    assert_eq!(code, 200);
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let webhook = start("slow-client");
    let mut slow = Client::connect(&webhook);
    slow.tls
        .write_all(format!("POST /validate HTTP/1.1\r\nHost: {SERVER_NAME}\r\n").as_bytes())
        .unwrap();
    slow.tls.flush().unwrap();
    let started = Instant::now();
    // Others are served meanwhile: the slow client holds no worker.
    let (code, _) = Client::connect(&webhook).request("GET", "/healthz", b"");
    assert_eq!(code, 200);
    // The header timeout (10 s) closes the connection: end of stream, an error, or a 408.
    let mut rest = Vec::new();
    let _ = slow.tls.read_to_end(&mut rest);
    let waited = started.elapsed();
    let text = String::from_utf8_lossy(&rest);
    assert!(rest.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        waited >= Duration::from_secs(8) && waited < Duration::from_secs(19),
        "closed after {waited:?}"
    );
}

#[test]
fn http2_is_negotiated_by_alpn_and_answers_reviews() {
    use http_body_util::{BodyExt, Full};
    let webhook = start("http2");
    let mut config = (*tls_config(&webhook.certs.join("ca.crt"))).clone();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pod = root_pod("web");
    let body = serde_json::to_vec(&review("h2", "CREATE", "pods", "restricted-latest", &pod, None)).unwrap();
    let (alpn, code, answer) = runtime.block_on(async move {
        let tcp = tokio::net::TcpStream::connect(webhook.addr).await.unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(SERVER_NAME.try_into().unwrap(), tcp)
            .await
            .unwrap();
        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        let (mut sender, connection) = hyper::client::conn::http2::handshake(
            hyper_util::rt::TokioExecutor::new(),
            hyper_util::rt::TokioIo::new(tls),
        )
        .await
        .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        let request = hyper::Request::post(format!("https://{SERVER_NAME}/validate"))
            .header("content-type", "application/json")
            .body(Full::new(hyper::body::Bytes::from(body)))
            .unwrap();
        let response = sender.send_request(request).await.expect("an HTTP/2 response");
        let code = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (alpn, code, serde_json::from_slice::<Value>(&bytes).unwrap())
    });
    assert_eq!(alpn.as_deref(), Some(b"h2".as_slice()));
    assert_eq!(code, 200);
    assert_eq!(answer["response"]["uid"], "h2");
    assert_eq!(
        answer["response"]["status"]["message"].as_str(),
        expected_message(&pod, Level::Restricted, Version::Latest).as_deref()
    );
}
