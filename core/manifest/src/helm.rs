//! Telling an unrendered Helm (Go) template from a manifest that merely carries `{{ }}` in
//! string values (Prometheus alert templates, KServe runtime arguments, chat templates).

/// Template actions only a Helm chart has: they name Helm's objects and functions.
const HELM_ACTIONS: &[&str] = &[
    ".Values",
    "$.Values",
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    ".Template",
    "include ",
    "template ",
    "toYaml",
    "tpl ",
    "required ",
];

/// Go-template control actions: a template when they start a line, but also common inside
/// the text of Prometheus alerts (`{{ with $labels.cluster -}}`).
const CONTROL_ACTIONS: &[&str] = &["if ", "else", "end", "range ", "with ", "define ", "block ", "/*"];

/// True when `text` looks like an unrendered Helm/Go template: `{{` outside quoted scalars,
/// block scalars and comments, where a YAML value starts (`image: {{ .Values.x }}`, which is
/// not valid YAML), opening a line with a template action (`{{- if`, `{{ include`), or
/// anywhere with a Helm-only action (`{{ .Values`, `{{ include`). Used to add "render it
/// first with `helm template`" to parse errors.
pub fn looks_like_helm_template(text: &str) -> bool {
    if !text.contains("{{") {
        return false;
    }
    let mut quote: Option<u8> = None;
    // Indentation of the line that opened a block scalar, while inside it.
    let mut block_parent: Option<usize> = None;
    for line in text.lines() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        if let Some(parent) = block_parent {
            if indent > parent || line.trim().is_empty() {
                continue;
            }
            block_parent = None;
        }
        let mut i = 0;
        // Whether the position starts a YAML node (line start, after `key: `, `- `, `[`, …).
        let mut node_start = true;
        let mut value_start = false;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                match b {
                    b'\\' if q == b'"' => i += 1,
                    b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                    _ if b == q => quote = None,
                    _ => {}
                }
                i += 1;
                continue;
            }
            match b {
                b' ' | b'\t' => {
                    i += 1;
                    continue;
                }
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => break,
                b'"' | b'\'' if node_start => quote = Some(b),
                b'|' | b'>' if node_start && is_block_header(&bytes[i + 1..]) => {
                    block_parent = Some(indent);
                    break;
                }
                b'{' if bytes.get(i + 1) == Some(&b'{') => {
                    let line_start = i == indent;
                    if value_start || is_template_action(&line[i + 2..], line_start) {
                        return true;
                    }
                    i += 2;
                    node_start = false;
                    continue;
                }
                b'-' | b'?' | b':' if node_start || matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) => {
                    let after = bytes.get(i + 1);
                    if matches!(after, None | Some(b' ' | b'\t')) {
                        value_start = b == b':';
                        node_start = true;
                        i += 1;
                        continue;
                    }
                    node_start = false;
                    value_start = false;
                }
                b'[' | b'{' | b',' => {
                    node_start = true;
                    value_start = false;
                    i += 1;
                    continue;
                }
                _ => {
                    node_start = false;
                    value_start = false;
                }
            }
            i += 1;
        }
    }
    false
}

fn is_template_action(after_braces: &str, line_start: bool) -> bool {
    let action = after_braces.trim_start_matches('-').trim_start();
    let starts = |actions: &[&str]| actions.iter().any(|a| action.starts_with(a));
    starts(HELM_ACTIONS) || (line_start && starts(CONTROL_ACTIONS))
}

/// `|` or `>` with optional chomping/indentation indicators, then the end of the line or a
/// comment.
fn is_block_header(rest: &[u8]) -> bool {
    let indicators = rest
        .iter()
        .take_while(|b| matches!(b, b'+' | b'-' | b'0'..=b'9'))
        .count();
    let rest = &rest[indicators..];
    match rest.iter().position(|b| !matches!(b, b' ' | b'\t')) {
        None => true,
        Some(j) => rest[j] == b'#' && j > 0,
    }
}
