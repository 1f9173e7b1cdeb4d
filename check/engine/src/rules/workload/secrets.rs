//! Secrets written literally into a container's environment (`env[].value`, not `valueFrom`):
//! anyone who can read the workload, its manifest in Git or `kubectl describe` reads them.
//!
//! Two levels of certainty:
//! - a value in a known credential format (cloud, forge and AI-provider token prefixes, PEM
//!   private keys, JSON Web Tokens) is a credential whatever its variable's name (high);
//! - a variable whose name says it is secret (`*_PASSWORD`, `*_TOKEN`, `API_KEY`, …) holding a
//!   literal, a password embedded in a URL, or a long random-looking value (medium).
//!
//! References and placeholders are not secrets: `$(VAR)`, `${VAR}`, `{{ … }}`, `<your-token>`,
//! names used as values (`HF_TOKEN`, `INSERT_TOKEN`), paths, booleans. Default passwords such
//! as `changeme` are reported: deployed unchanged they are guessable. No message ever contains
//! the value; only its length, and for known formats the public prefix.

use tailor_kube::{containers, PodTemplate};

use super::Hits;
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::Rule;

pub(super) const CREDENTIAL: Rule = Rule {
    id: "TLR-env-credential",
    title: "Credential in an environment variable",
    severity: Severity::High,
    rationale: "A token or private key written into the manifest is readable by everyone who can read the workload or its source repository, and it outlives the pod: it must be considered leaked.",
    remediation: "Revoke and rotate the credential, store the new one in a Secret (or an external secret store) and reference it with env[].valueFrom.secretKeyRef.",
    attack: &[CREDENTIALS_IN_FILES, STEAL_APPLICATION_ACCESS_TOKEN],
    ms_threat_matrix: None,
};

pub(super) const SECRET_LITERAL: Rule = Rule {
    id: "TLR-env-secret-literal",
    title: "Literal secret in an environment variable",
    severity: Severity::Medium,
    rationale: "Passwords and keys written into the manifest are readable by everyone who can read the workload or its source repository; default values are guessable by anyone.",
    remediation: "Move the value to a Secret and reference it with env[].valueFrom.secretKeyRef; change it if it was ever committed or is a default.",
    attack: &[CREDENTIALS_IN_FILES],
    ms_threat_matrix: None,
};

/// A credential format recognised by its prefix.
struct Format {
    prefix: &'static str,
    /// Minimum length of what follows the prefix.
    min_rest: usize,
    what: &'static str,
}

const fn format(prefix: &'static str, min_rest: usize, what: &'static str) -> Format {
    Format { prefix, min_rest, what }
}

/// Longer prefixes first where one extends another (`sk-ant-` before `sk-`).
const FORMATS: &[Format] = &[
    format("AKIA", 16, "an AWS access key ID"),
    format("ASIA", 16, "an AWS temporary access key ID"),
    format("github_pat_", 22, "a GitHub fine-grained access token"),
    format("ghp_", 36, "a GitHub personal access token"),
    format("gho_", 36, "a GitHub OAuth token"),
    format("ghu_", 36, "a GitHub user-to-server token"),
    format("ghs_", 36, "a GitHub server-to-server token"),
    format("ghr_", 36, "a GitHub refresh token"),
    format("glpat-", 20, "a GitLab personal access token"),
    format("xoxb-", 10, "a Slack bot token"),
    format("xoxa-", 10, "a Slack app token"),
    format("xoxp-", 10, "a Slack user token"),
    format("xoxr-", 10, "a Slack refresh token"),
    format("xoxs-", 10, "a Slack session token"),
    format("sk-ant-", 20, "an Anthropic API key"),
    format("sk-proj-", 20, "an OpenAI project API key"),
    format("sk-", 20, "a secret API key (OpenAI style)"),
    format("sk_live_", 20, "a Stripe secret key"),
    format("rk_live_", 20, "a Stripe restricted key"),
    format("hf_", 30, "a Hugging Face access token"),
    format("nvapi-", 40, "an NVIDIA API key"),
    format("AIza", 35, "a Google API key"),
    format("npm_", 36, "an npm access token"),
];

/// Words of a variable name that make it secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "APIKEY",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "AUTHTOKEN",
    "CLIENTSECRET",
];

/// Words that make `<word>_KEY` secret.
const KEY_KINDS: &[&str] = &[
    "API",
    "ACCESS",
    "PRIVATE",
    "SECRET",
    "SIGNING",
    "ENCRYPTION",
    "MASTER",
    "AUTH",
    "LICENSE",
];

/// Words that make a secret-sounding name describe something else (`TOKEN_FILE`,
/// `PASSWORD_SECRET_NAME`, `SECRET_VERSION`, `MAX_TOKENS`…).
const NOT_THE_SECRET: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "NAME",
    "REF",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "ID",
    "TYPE",
    "MODE",
    "LENGTH",
    "SIZE",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "LIFETIME",
    "TIMEOUT",
    "DURATION",
    "HEADER",
    "FIELD",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "KIND",
    "FORMAT",
    "ALGORITHM",
    "MOUNT",
    "LOCATION",
    "AUDIENCE",
    "ISSUER",
    "PROVIDER",
    "SOURCE",
    "SCOPE",
    "SCOPES",
    "LIMIT",
    "COUNT",
    "MAX",
    "MIN",
    "VERSION",
    "NAMESPACE",
    "POLICY",
    "METHOD",
    "HASH",
    "CHECKSUM",
    "DIGEST",
    "SHA",
    "UUID",
    "FINGERPRINT",
    "PREFIX",
    "SUFFIX",
    "ROTATION",
    "STRATEGY",
];

/// Values that are guessable when used as a password.
const WELL_KNOWN: &[&str] = &[
    "password",
    "changeme",
    "change-me",
    "change_me",
    "admin",
    "secret",
    "root",
    "test",
    "default",
    "pass",
    "letmein",
    "qwerty",
    "123456",
    "12345678",
    "mysql",
    "postgres",
    "minio123",
    "supersecret",
    "yourpassword",
    "example",
];

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    for container in containers(&pod.spec) {
        for (index, var) in container.env().iter().enumerate() {
            let Some(value) = var.value.as_deref().filter(|_| var.value_from.is_none()) else {
                continue;
            };
            let Some((rule, what)) = classify(&var.name, value) else {
                continue;
            };
            hits.add(
                rule,
                container.path_to("env").index(index).key("value"),
                Some(container.name()),
                format!("{container} sets env {:?} to {what}", var.name),
            );
        }
    }
}

/// The rule a literal value breaks, with a description that never contains the value.
fn classify(name: &str, value: &str) -> Option<(&'static Rule, String)> {
    let value = value.trim();
    let length = value.chars().count();
    if let Some(what) = known_format(value) {
        return Some((
            &CREDENTIAL,
            format!("{what} ({length} characters) written in the manifest"),
        ));
    }
    if let Some(scheme) = url_with_password(value) {
        return Some((
            &SECRET_LITERAL,
            format!("a URL ({scheme}://…) with an embedded password"),
        ));
    }
    if is_reference_or_placeholder(name, value) {
        return None;
    }
    let words = name_words(name);
    let described_otherwise = words.iter().any(|w| NOT_THE_SECRET.contains(&w.as_str()));
    if is_secret_name(&words) && !described_otherwise {
        let guessable = if WELL_KNOWN.contains(&value.to_ascii_lowercase().as_str()) || length < 8 {
            ", short or well known: easy to guess"
        } else {
            ""
        };
        return Some((
            &SECRET_LITERAL,
            format!("a literal value ({length} characters{guessable})"),
        ));
    }
    if looks_random(value) && !described_otherwise {
        return Some((
            &SECRET_LITERAL,
            format!("a random-looking literal ({length} characters) that looks like a key"),
        ));
    }
    None
}

/// What a value in a known credential format is.
fn known_format(value: &str) -> Option<String> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----") {
        return Some("a PEM private key".to_owned());
    }
    let token = value.strip_prefix("Bearer ").unwrap_or(value);
    if is_jwt(token) {
        return Some("a JSON Web Token (eyJ…)".to_owned());
    }
    let format = FORMATS.iter().find(|f| token.starts_with(f.prefix))?;
    let rest = &token[format.prefix.len()..];
    let well_formed = rest.len() >= format.min_rest
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && distinct_chars(rest) >= 8
        && !token.to_ascii_lowercase().contains("example");
    well_formed.then(|| format!("{} ({}…)", format.what, format.prefix))
}

/// `eyJ…` header, payload and signature, base64url-encoded.
fn is_jwt(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    value.starts_with("eyJ")
        && parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() >= 10 && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
}

/// The scheme of `scheme://user:password@host…` when the password is a literal.
fn url_with_password(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let (user_info, _host) = authority.rsplit_once('@')?;
    let (_user, password) = user_info.split_once(':')?;
    (!password.is_empty() && !is_reference(password)).then_some(scheme)
}

fn is_reference(value: &str) -> bool {
    value.contains("$(")
        || value.contains("${")
        || value.contains("{{")
        || (value.contains('<') && value.contains('>'))
        || value.len() > 1 && value.starts_with('%') && value.ends_with('%')
        || value
            .strip_prefix('$')
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

/// Values that are not secrets themselves: references resolved later, placeholders,
/// paths, flags.
fn is_reference_or_placeholder(name: &str, value: &str) -> bool {
    const FLAGS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null",
    ];
    if value.is_empty() || is_reference(value) || FLAGS.contains(&value.to_ascii_lowercase().as_str()) {
        return true;
    }
    if value.starts_with('/') || value.starts_with("./") || value.starts_with("~/") || value.starts_with("file:") {
        return true;
    }
    // A placeholder names the secret instead of holding it: HF_TOKEN, nvapi-NVKEY,
    // INSERT_DISCOVERY_TOKEN, GOOGLE_API_KEY_VAL.
    if ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD"]
        .iter()
        .any(|w| value.contains(w))
    {
        return true;
    }
    let letters = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let (value_letters, name_letters) = (letters(value), letters(name));
    !name_letters.is_empty() && value_letters.contains(&name_letters)
}

/// A name's words, upper case: `MYSQL_ROOT_PASSWORD` → MYSQL ROOT PASSWORD, `apiKey` → API KEY.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        let mut word = String::new();
        let mut previous_lower = false;
        for c in part.chars() {
            if c.is_ascii_uppercase() && previous_lower {
                words.push(std::mem::take(&mut word).to_ascii_uppercase());
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c);
        }
        words.push(word.to_ascii_uppercase());
    }
    words
}

fn is_secret_name(words: &[String]) -> bool {
    let secret_word = words
        .iter()
        .any(|w| SECRET_WORDS.contains(&w.as_str()) && !(w == "PWD" && words.len() == 1));
    let kind_of_key = words
        .windows(2)
        .any(|pair| pair[1] == "KEY" && KEY_KINDS.contains(&pair[0].as_str()));
    // PASS ends names such as DB_PASS; elsewhere it is a verb (PASS_DEVICE_SPECS).
    let trailing_pass = words.len() > 1 && words.last().is_some_and(|w| w == "PASS");
    secret_word || kind_of_key || trailing_pass
}

/// Long, mixed-case, alphanumeric (base64-like) and high in entropy: generated keys look like
/// this; hashes (hex), model names and URLs do not.
fn looks_random(value: &str) -> bool {
    value.len() >= 32
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-'))
        && value.chars().any(|c| c.is_ascii_lowercase())
        && value.chars().any(|c| c.is_ascii_uppercase())
        && value.chars().any(|c| c.is_ascii_digit())
        && shannon_entropy(value) >= 4.5
}

/// Bits per character.
fn shannon_entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in value.bytes() {
        counts[byte as usize] += 1;
    }
    let length = value.len() as f64;
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / length;
            -p * p.log2()
        })
        .sum()
}

fn distinct_chars(value: &str) -> usize {
    let mut seen: Vec<char> = value.chars().collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    // Test values built at run time, so that no credential-shaped literal sits in the source.
    fn github_token() -> String {
        format!("ghp_{}", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz1A2")
    }

    fn random_key() -> String {
        "q8Zr2Lw9Xv4Tn7Bk1Mc5Hd3Jf6Gp0Ys8Ae2Uo4Ri7Wl".to_owned()
    }

    fn rule_of(name: &str, value: &str) -> Option<&'static str> {
        classify(name, value).map(|(rule, _)| rule.id)
    }

    #[test]
    fn known_formats_are_credentials_whatever_the_name() {
        assert_eq!(rule_of("GIT_AUTH", &github_token()), Some("TLR-env-credential"));
        assert_eq!(
            rule_of("HEADER", &format!("Bearer {}", github_token())),
            Some("TLR-env-credential")
        );
        let aws = format!("AKIA{}", "Q3ZTRW7PL2MX5NVB");
        assert_eq!(rule_of("AWS_ACCESS_KEY_ID", &aws), Some("TLR-env-credential"));
        let pem = format!(
            "-----BEGIN RSA {} KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----",
            "PRIVATE"
        );
        assert_eq!(rule_of("TLS", &pem), Some("TLR-env-credential"));
        let jwt = format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.{}",
            "eyJzdWIiOiJzeXN0ZW0ifQ", "c2lnbmF0dXJlLXNpZ25hdHVyZQ"
        );
        assert_eq!(rule_of("KUBE", &jwt), Some("TLR-env-credential"));
        let hf = format!("hf_{}", "XyZ12abCDef34GHij56KLmn78OPqr90STu");
        assert_eq!(
            classify("X", &hf).unwrap().1,
            "a Hugging Face access token (hf_…) (37 characters) written in the manifest"
        );
        // Placeholders in a known format are not.
        assert_eq!(rule_of("AWS", "AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(rule_of("OPENAI", &format!("sk-{}", "x".repeat(40))), None);
        assert_eq!(rule_of("NGC_API_KEY", "nvapi-NVKEY"), None);
    }

    #[test]
    fn secret_names_with_literals() {
        for (name, value) in [
            ("MYSQL_ROOT_PASSWORD", "supersecret"),
            ("MYSQL_PASSWORD", "1234"),
            ("GF_SECURITY_ADMIN_PASSWORD", "admin"),
            ("MINIO_SECRET_KEY", "minio123"),
            ("apiKey", "abc123def456"),
            ("DB_PASS", "hunter22"),
            ("ACCESS_KEY", "8312341g-5678-abcd-4a2b2c-33bcsd655"),
            ("clientSecret", "0a1b2c3d4e5f"),
        ] {
            assert_eq!(rule_of(name, value), Some("TLR-env-secret-literal"), "{name}");
        }
        assert_eq!(
            classify("MYSQL_ROOT_PASSWORD", "changeme").unwrap().1,
            "a literal value (8 characters, short or well known: easy to guess)"
        );
        assert_eq!(
            classify("API_TOKEN", "0a1b2c3d4e5f6a7b").unwrap().1,
            "a literal value (16 characters)"
        );
    }

    #[test]
    fn non_secrets_are_left_alone() {
        for (name, value) in [
            ("HF_TOKEN", "$HF_TOKEN"),
            ("HF_TOKEN", "$(HF_TOKEN)"),
            ("HF_TOKEN", "${HF_TOKEN}"),
            ("HF_TOKEN", "<your-token>"),
            ("HF_TOKEN", "HF_TOKEN"),
            ("GOOGLE_API_KEY", "GOOGLE_API_KEY_VAL"),
            ("ETCD_DISCOVERY_TOKEN", "INSERT_ETCD_DISCOVERY_TOKEN"),
            ("PASSWORD", "{{ .Values.password }}"),
            ("ALLOW_EMPTY_PASSWORD", "yes"),
            ("ALLOYDB_SECRET_NAME", "alloydb-secret"),
            ("SECRET_VERSION", "latest"),
            ("SECRET_ID", "bq-readonly-key"),
            ("TLS_RELAY_CLIENT_KEY_FILE", "/var/lib/hubble-ui/certs/client.key"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/key.json"),
            ("MAX_TOTAL_TOKENS", "2048"),
            ("TOKENIZERS_PARALLELISM", "false"),
            ("PASS_DEVICE_SPECS", "true"),
            ("PWD", "/app"),
            ("RAY_AUTH_MODE", "token"),
            ("PASSWORD", ""),
            ("MODEL_ID", "meta-llama/Meta-Llama-3-70B-Instruct"),
            ("SENTINEL_ID", "3c0d9c0320bb34888c2df5757c718ce6ca992ce6"),
            ("MODEL_PREDICTION", "http://t5-inference:8080/predictions/t5-small/1.0"),
            ("PROXY", "http://user:$(PROXY_PASSWORD)@proxy:8080"),
            ("IMAGE_DIGEST", &random_key()),
        ] {
            assert_eq!(rule_of(name, value), None, "{name}={value}");
        }
    }

    #[test]
    fn passwords_in_urls_and_random_values() {
        assert_eq!(
            classify("DATABASE", "postgres://app:s3cr3t@db:5432/app").map(|(r, w)| (r.id, w)),
            Some((
                "TLR-env-secret-literal",
                "a URL (postgres://…) with an embedded password".to_owned()
            ))
        );
        assert_eq!(rule_of("HTTPS_PROXY", "https://proxy.corp:8443"), None);
        assert_eq!(rule_of("SIGNING", &random_key()), Some("TLR-env-secret-literal"));
        assert!(classify("SIGNING", &random_key()).unwrap().1.contains("random-looking"));
    }

    #[test]
    fn splits_names_into_words() {
        assert_eq!(name_words("MYSQL_ROOT_PASSWORD"), ["MYSQL", "ROOT", "PASSWORD"]);
        assert_eq!(name_words("apiKey"), ["API", "KEY"]);
        assert_eq!(name_words("x-api.key"), ["X", "API", "KEY"]);
        assert_eq!(name_words("s3SecretKey"), ["S3", "SECRET", "KEY"]);
    }

    #[test]
    fn findings_point_at_the_value_and_never_print_it() {
        let token = github_token();
        let password = "Tr0ub4dor&3-horse";
        let pod = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{
            "containers":[{"name":"app","image":"x","env":[
                {"name":"LOG_LEVEL","value":"debug"},
                {"name":"GITHUB_TOKEN","value":token},
                {"name":"DB_PASSWORD","value":password},
                {"name":"API_KEY","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]}]}}}});
        let findings: Vec<_> = testing::findings(&[pod])
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-env"))
            .collect();
        let summary: Vec<(&str, &str)> = findings.iter().map(|f| (f.rule, f.field.as_str())).collect();
        assert_eq!(
            summary,
            [
                ("TLR-env-credential", "spec.template.spec.containers[0].env[1].value"),
                (
                    "TLR-env-secret-literal",
                    "spec.template.spec.containers[0].env[2].value"
                ),
            ]
        );
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(
            findings[0].message,
            "container \"app\" sets env \"GITHUB_TOKEN\" to a GitHub personal access token (ghp_…) (40 characters) written in the manifest"
        );
        assert_eq!(findings[1].container.as_deref(), Some("app"));
        for finding in &findings {
            let printed = serde_json::to_string(finding).unwrap();
            assert!(
                !printed.contains(&token[4..]) && !printed.contains(password),
                "{printed}"
            );
        }
    }
}
