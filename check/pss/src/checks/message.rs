//! Text helpers that every check message is built from, with the reference library's exact
//! behaviour (spec §1.7).

use std::fmt::Write as _;

use tailor_kube::FieldPath;

/// `singular` when `n == 1`, otherwise `plural` (so also for 0).
pub(crate) fn pluralize<'a>(singular: &'a str, plural: &'a str, n: usize) -> &'a str {
    if n == 1 {
        singular
    } else {
        plural
    }
}

/// `"a", "b"`: each item wrapped in double quotes, joined with `", "`. Deliberately no
/// escaping, as in the reference (`"` inside a value is emitted raw).
pub(crate) fn quote_list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(item.as_ref());
        out.push('"');
    }
    out
}

/// `container "a"` or `containers "a", "b"`.
pub(crate) fn containers_phrase(names: &[&str]) -> String {
    format!(
        "{} {}",
        pluralize("container", "containers", names.len()),
        quote_list(names)
    )
}

/// Go's `strconv.Quote` (`%q`), used for annotation values: `"` and `\` escaped, short escapes
/// for `\a \b \f \n \r \t \v`, `\xNN` for other control bytes, `\uNNNN` / `\UNNNNNNNN` for
/// other non-printable runes, printable Unicode kept as is.
pub(crate) fn go_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\0'..='\u{1f}' | '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` for a non-ASCII rune: categories L, M, N, P and S. Rust's debug
/// escaping uses the same definition (it escapes exactly the C* and Z* categories), so a
/// rune is printable when `str::escape_debug` leaves it alone in a non-leading position
/// (the leading position would also escape grapheme extenders, which are printable marks).
fn is_go_printable(c: char) -> bool {
    let mut buf = [0u8; 5];
    buf[0] = b'a';
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    let pair = std::str::from_utf8(&buf[..len]).expect("valid UTF-8 by construction");
    pair.escape_debug().count() == 2
}

/// Who set a forbidden value, for the `pod and containers "a", "b" must not …` phrasing, with
/// the paths of the offending fields in message order (pod first, then containers in visit
/// order).
#[derive(Default)]
pub(crate) struct Setters<'a> {
    pod: bool,
    containers: Vec<&'a str>,
    pub fields: Vec<FieldPath>,
}

impl<'a> Setters<'a> {
    pub fn pod(&mut self, field: FieldPath) {
        self.pod = true;
        self.fields.push(field);
    }

    /// The pod with several offending fields (SELinux `type`, `user` and `role`).
    pub fn pod_fields(&mut self, fields: Vec<FieldPath>) {
        self.pod = true;
        self.fields.extend(fields);
    }

    pub fn container(&mut self, name: &'a str, field: FieldPath) {
        self.containers.push(name);
        self.fields.push(field);
    }

    /// A container with several offending fields (several ports, capabilities, …).
    pub fn container_fields(&mut self, name: &'a str, fields: Vec<FieldPath>) {
        self.containers.push(name);
        self.fields.extend(fields);
    }

    pub fn is_empty(&self) -> bool {
        !self.pod && self.containers.is_empty()
    }

    pub fn container_count(&self) -> usize {
        self.containers.len()
    }

    /// `pod`, `container "a"`, `pod and containers "a", "b"`.
    pub fn phrase(&self) -> String {
        self.phrase_with(None)
    }

    /// [`Self::phrase`] with one more setter appended with ` and ` (AppArmor's `annotations`).
    pub fn phrase_with(&self, last: Option<&str>) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(3);
        if self.pod {
            parts.push("pod".to_owned());
        }
        if !self.containers.is_empty() {
            parts.push(containers_phrase(&self.containers));
        }
        parts.extend(last.map(str::to_owned));
        parts.join(" and ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pluralize_uses_plural_for_zero_and_many() {
        assert_eq!(pluralize("a", "as", 0), "as");
        assert_eq!(pluralize("a", "as", 1), "a");
        assert_eq!(pluralize("a", "as", 2), "as");
    }

    #[test]
    fn quote_list_does_not_escape() {
        assert_eq!(quote_list(Vec::<&str>::new()), "");
        assert_eq!(quote_list(["a", "b\"c"]), r#""a", "b"c""#);
    }

    #[test]
    fn go_quote_matches_strconv_quote() {
        assert_eq!(go_quote("unconfined"), r#""unconfined""#);
        assert_eq!(go_quote(""), r#""""#);
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}\u{0}\u{1b}\u{7f}"),
            r#""\a\b\f\n\r\t\v\x00\x1b\x7f""#
        );
        // Printable Unicode (letters, marks, symbols) stays; spaces other than ASCII space,
        // format characters and private-use runes are escaped.
        assert_eq!(go_quote("é\u{301}😀 "), "\"é\u{301}😀 \"");
        assert_eq!(go_quote("\u{a0}\u{200b}\u{e000}"), r#""\u00a0\u200b\ue000""#);
        assert_eq!(go_quote("\u{f0000}\u{e0001}"), r#""\U000f0000\U000e0001""#);
        assert_eq!(go_quote("\u{80}\u{85}"), r#""\u0080\u0085""#);
    }

    #[test]
    fn setters_join_pod_containers_and_extra() {
        let mut s = Setters::default();
        assert!(s.is_empty());
        assert_eq!(s.phrase_with(Some("annotations")), "annotations");
        s.pod(FieldPath::keys("spec.securityContext"));
        assert_eq!(s.phrase(), "pod");
        s.container("a", FieldPath::keys("spec.containers"));
        assert_eq!(s.phrase(), r#"pod and container "a""#);
        s.container("b", FieldPath::keys("spec.containers"));
        assert_eq!(
            s.phrase_with(Some("annotation")),
            r#"pod and containers "a", "b" and annotation"#
        );
        assert_eq!(s.container_count(), 2);
        assert_eq!(s.fields.len(), 3);
    }
}
