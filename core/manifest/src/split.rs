//! Splitting a stream into documents without parsing them, so they can be parsed in
//! parallel and a broken one cannot hide the others.
//!
//! The rules follow kubectl's reader (`k8s.io/apimachinery/pkg/util/yaml`):
//! - a stream whose first non-space character is `{` is read as a sequence of JSON values
//!   (kubectl decodes those with `encoding/json`). If the first or second value is not valid
//!   JSON (e.g. JSON-like YAML with trailing commas), the stream is read as YAML from there
//!   on; after two JSON values it is a JSON stream, and invalid JSON is an error;
//! - YAML documents are separated by `---` at column 0 followed by a space, a tab, a comment
//!   or the end of the line. Such a line always starts a document in YAML, even inside a
//!   block scalar or a quoted scalar (libyaml ends or rejects those there), so no tokenizing is
//!   needed;
//! - a `...` line ends a document. kubectl does not split there (it reads the first document
//!   of each `---` chunk and ignores the rest); here what follows `...` becomes a document of
//!   its own, so content hidden after a `...` is still checked;
//! - comment and `%YAML`/`%TAG` directive lines before a `---` stay with the document they
//!   precede; a chunk of only blank lines and comments is dropped.

use serde::de::IgnoredAny;

/// How a document's text is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// A YAML document (possibly written in JSON-like flow style).
    Yaml,
    /// One value of a JSON stream, which kubectl reads with a JSON decoder: parsed as YAML
    /// (for positions) with a plain-JSON fallback.
    Json,
}

/// One document of a stream, not yet parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawDocument<'a> {
    pub text: &'a str,
    /// 1-based line in the file where `text` starts.
    pub first_line: u32,
    /// 1-based column where `text` starts on its first line (1 except for JSON values that
    /// share a line).
    pub first_column: u32,
    /// 0-based index of the document in the stream.
    pub index: usize,
    pub syntax: Syntax,
    /// The document follows a `...` end marker and has no `---` of its own: kubectl never
    /// reads it (see the module docs).
    pub after_end_marker: bool,
}

/// Splits a stream at document boundaries (see the module docs). A leading byte-order mark
/// is skipped; CRLF line ends are fine.
pub fn split_documents(text: &str) -> Vec<RawDocument<'_>> {
    let mut splitter = Splitter {
        text,
        out: Vec::new(),
        line: 1,
        line_start: 0,
        counted: 0,
    };
    // kubectl sniffs for `{` before anything else, so a BOM makes a stream YAML.
    let yaml_from = if text.trim_start().starts_with('{') {
        splitter.json_values()
    } else if text.starts_with('\u{feff}') {
        Some('\u{feff}'.len_utf8())
    } else {
        Some(0)
    };
    if let Some(from) = yaml_from {
        splitter.yaml(from);
    }
    splitter.out
}

struct Splitter<'a> {
    text: &'a str,
    out: Vec<RawDocument<'a>>,
    /// Line number (1-based) of the byte offset `counted`, and where that line starts.
    line: u32,
    line_start: usize,
    counted: usize,
}

impl<'a> Splitter<'a> {
    /// Line and column (1-based, in characters) of byte `offset`; offsets must not go back.
    fn position(&mut self, offset: usize) -> (u32, u32) {
        let bytes = &self.text.as_bytes()[self.counted..offset];
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.counted + i + 1;
            }
        }
        self.counted = offset;
        let column = self.text[self.line_start..offset].chars().count() as u32 + 1;
        (self.line, column)
    }

    fn push(&mut self, start: usize, end: usize, syntax: Syntax, after_end_marker: bool) {
        let (first_line, first_column) = self.position(start);
        let index = self.out.len();
        let text = &self.text[start..end];
        self.out.push(RawDocument {
            text,
            first_line,
            first_column,
            index,
            syntax,
            after_end_marker,
        });
    }

    /// Reads JSON values while they are valid; returns where YAML takes over, if it does.
    ///
    /// kubectl's `YAMLOrJSONDecoder`: once two JSON values were read the stream is JSON, and
    /// anything after that is not valid JSON is an error that ends the stream (kept here as a
    /// last `Json` document, which fails to parse). Before that, the stream switches to YAML
    /// where JSON failed, after skipping blanks up to and including one line break.
    fn json_values(&mut self) -> Option<usize> {
        let mut values = serde_json::Deserializer::from_str(self.text).into_iter::<IgnoredAny>();
        let mut end = 0;
        let mut count = 0;
        loop {
            match values.next() {
                None => return None,
                Some(Ok(_)) => {
                    let value_end = values.byte_offset();
                    self.push(
                        end + json_blanks(&self.text[end..value_end]),
                        value_end,
                        Syntax::Json,
                        false,
                    );
                    end = value_end;
                    count += 1;
                }
                Some(Err(_)) if count > 1 => {
                    let start = end + json_blanks(&self.text[end..]);
                    self.push(start, self.text.len(), Syntax::Json, false);
                    return None;
                }
                Some(Err(_)) => {
                    let mut skip = 0;
                    for c in self.text[end..].chars().take_while(|c| c.is_whitespace()) {
                        skip += c.len_utf8();
                        if c == '\n' {
                            break;
                        }
                    }
                    return Some(end + skip);
                }
            }
        }
    }

    fn yaml(&mut self, from: usize) {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut chunk_start = from;
        // Whether the chunk has a document (a `---` or content), or only directives.
        let mut has_document = false;
        let mut has_directive = false;
        let mut after_end_marker = false;
        let mut pos = from;
        while pos < bytes.len() {
            let line_end = bytes[pos..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| pos + i + 1);
            let line = &bytes[pos..line_end];
            let at_column_0 = pos == 0 || bytes[pos - 1] == b'\n';
            if at_column_0 && is_marker(line, b"---") {
                if has_document {
                    self.push(chunk_start, pos, Syntax::Yaml, after_end_marker);
                    chunk_start = pos;
                    has_directive = false;
                }
                has_document = true;
                after_end_marker = false;
            } else if at_column_0 && is_marker(line, b"...") {
                if has_document || has_directive {
                    self.push(chunk_start, line_end, Syntax::Yaml, after_end_marker);
                }
                chunk_start = line_end;
                has_document = false;
                has_directive = false;
                after_end_marker = true;
            } else if !has_document {
                match first_non_blank(line) {
                    None | Some(b'#') => {}
                    Some(b'%') if at_column_0 && line[0] == b'%' => has_directive = true,
                    Some(_) => has_document = true,
                }
            }
            pos = line_end;
        }
        if has_document || has_directive {
            self.push(chunk_start, bytes.len(), Syntax::Yaml, after_end_marker);
        }
    }
}

/// `---` or `...` followed by a space, a tab or the end of the line.
fn is_marker(line: &[u8], marker: &[u8; 3]) -> bool {
    line.starts_with(marker) && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// Length of the JSON whitespace that starts `text`.
fn json_blanks(text: &str) -> usize {
    text.bytes()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .count()
}

fn first_non_blank(line: &[u8]) -> Option<u8> {
    line.iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<(&str, u32)> {
        split_documents(text).iter().map(|d| (d.text, d.first_line)).collect()
    }

    #[test]
    fn markers_need_column_0_and_a_blank_after() {
        assert_eq!(texts("a: 1\n---\nb: 2\n"), [("a: 1\n", 1), ("---\nb: 2\n", 2)]);
        assert_eq!(texts("a: 1\n ---\n---x\n"), [("a: 1\n ---\n---x\n", 1)]);
        assert_eq!(
            texts("a: 1\n---\t# c\r\nb: 2"),
            [("a: 1\n", 1), ("---\t# c\r\nb: 2", 2)]
        );
    }

    #[test]
    fn leading_comments_and_directives_stay_with_their_document() {
        assert_eq!(
            texts("# c\n%YAML 1.1\n---\na: 1\n"),
            [("# c\n%YAML 1.1\n---\na: 1\n", 1)]
        );
        assert_eq!(
            texts("---\n# only\n---\na: 1\n"),
            [("---\n# only\n", 1), ("---\na: 1\n", 3)]
        );
        assert!(texts("\n# nothing\n\n").is_empty());
    }

    #[test]
    fn end_markers() {
        let docs = split_documents("a: 1\n...\n# c\n---\nb: 2\n...\nc: 3\n");
        let parts: Vec<(&str, bool)> = docs.iter().map(|d| (d.text, d.after_end_marker)).collect();
        assert_eq!(
            parts,
            [
                ("a: 1\n...\n", false),
                ("# c\n---\nb: 2\n...\n", false),
                ("c: 3\n", true)
            ]
        );
    }

    #[test]
    fn bom_is_skipped_and_json_is_sniffed_after_blanks() {
        let docs = split_documents("\u{feff}a: 1\n");
        assert_eq!((docs[0].text, docs[0].syntax), ("a: 1\n", Syntax::Yaml));
        let docs = split_documents("  \n {\"a\": 1} {\"b\": 2}\n");
        let parts: Vec<(&str, u32, u32, Syntax)> = docs
            .iter()
            .map(|d| (d.text, d.first_line, d.first_column, d.syntax))
            .collect();
        assert_eq!(
            parts,
            [("{\"a\": 1}", 2, 2, Syntax::Json), ("{\"b\": 2}", 2, 11, Syntax::Json)]
        );
        // A BOM hides the `{` from kubectl's sniffing: YAML.
        assert_eq!(split_documents("\u{feff}{\"a\": 1}")[0].syntax, Syntax::Yaml);
    }

    #[test]
    fn json_falls_back_to_yaml_only_before_two_values() {
        // One JSON value, then YAML (after the rest of its line).
        let docs = split_documents("{\"a\": 1}\n---\nb: 2\n");
        let parts: Vec<(&str, Syntax)> = docs.iter().map(|d| (d.text, d.syntax)).collect();
        assert_eq!(parts, [("{\"a\": 1}", Syntax::Json), ("---\nb: 2\n", Syntax::Yaml)]);
        // The first value is not JSON (trailing comma): all YAML.
        assert_eq!(split_documents("{\"a\": 1,}\n")[0].syntax, Syntax::Yaml);
        // Two JSON values make a JSON stream: the rest is one document that fails.
        let docs = split_documents("{}\n{}\n---\nb: 2\n");
        let parts: Vec<(&str, u32, Syntax)> = docs.iter().map(|d| (d.text, d.first_line, d.syntax)).collect();
        assert_eq!(
            parts,
            [
                ("{}", 1, Syntax::Json),
                ("{}", 2, Syntax::Json),
                ("---\nb: 2\n", 3, Syntax::Json)
            ]
        );
    }
}
