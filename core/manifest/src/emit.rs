//! YAML output that kubectl reads back as exactly the JSON it came from.
//!
//! Built on libyaml-safer's emitter (the same libyaml lineage go-yaml descends from), with one
//! decision of our own: which strings must be quoted. A YAML 1.2 emitter such as serde_yaml
//! writes `on`, `yes`, `y` or `0644` plain, and kubectl (go-yaml v2, YAML 1.1) then reads a
//! boolean or the number 420 where a string was meant. Here every string, key or value, that
//! the loader's own plain-scalar resolution ([`crate::resolve`]) would not read back as that
//! same string is double-quoted; everything else is left to libyaml's style analysis. The round
//! trip through [`crate::parse_stream`] is tested on every corpus document.

use libyaml_safer::{Emitter, Encoding, Event, MappingStyle, ScalarStyle, SequenceStyle};
use serde_json::Value;

use crate::resolve::{resolve_plain, Resolved};

/// One YAML document (no leading `---`), ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    to_yaml_documents(std::slice::from_ref(value))
}

/// Several YAML documents, separated by `---` lines, for `kubectl apply -f -`.
pub fn to_yaml_documents(values: &[Value]) -> String {
    let mut out = Vec::new();
    let mut emitter = Emitter::new();
    emitter.set_output_string(&mut out);
    emitter.set_unicode(true);
    emitter.set_indent(2);
    // Never fold long lines: manifests are read by people and by diff tools.
    emitter.set_width(-1);
    let result = (|| {
        emitter.emit(Event::stream_start(Encoding::Utf8))?;
        for (index, value) in values.iter().enumerate() {
            emitter.emit(Event::document_start(None, &[], index == 0))?;
            emit_value(&mut emitter, value)?;
            emitter.emit(Event::document_end(true))?;
        }
        emitter.emit(Event::stream_end())?;
        emitter.flush()
    })();
    // The events are well-formed by construction and the output is a Vec: nothing can fail.
    result.expect("emitting YAML into memory");
    drop(emitter);
    String::from_utf8(out).expect("libyaml emits UTF-8")
}

fn emit_value(emitter: &mut Emitter<'_>, value: &Value) -> libyaml_safer::Result<()> {
    match value {
        Value::Null => emit_plain(emitter, "null"),
        Value::Bool(flag) => emit_plain(emitter, if *flag { "true" } else { "false" }),
        Value::Number(number) => emit_plain(emitter, &number.to_string()),
        Value::String(text) => emit_string(emitter, text),
        Value::Array(items) => {
            emitter.emit(Event::sequence_start(None, None, true, SequenceStyle::Block))?;
            for item in items {
                emit_value(emitter, item)?;
            }
            emitter.emit(Event::sequence_end())
        }
        Value::Object(map) => {
            emitter.emit(Event::mapping_start(None, None, true, MappingStyle::Block))?;
            for (key, item) in map {
                emit_string(emitter, key)?;
                emit_value(emitter, item)?;
            }
            emitter.emit(Event::mapping_end())
        }
    }
}

fn emit_plain(emitter: &mut Emitter<'_>, text: &str) -> libyaml_safer::Result<()> {
    emitter.emit(Event::scalar(None, None, text, true, true, ScalarStyle::Plain))
}

fn emit_string(emitter: &mut Emitter<'_>, text: &str) -> libyaml_safer::Result<()> {
    let style = if !reads_back_as_string(text) {
        ScalarStyle::DoubleQuoted
    } else if text.contains('\n') && !text.trim_end_matches('\n').is_empty() {
        // Scripts and config files embedded in ConfigMaps stay readable; libyaml falls back to
        // a quoted style where a literal block cannot hold the text (e.g. trailing spaces).
        ScalarStyle::Literal
    } else {
        ScalarStyle::Any
    };
    emitter.emit(Event::scalar(None, None, text, true, true, style))
}

/// Whether `text`, written plain, is read back by go-yaml v2 as the same string. `<<` is the
/// merge key and never a string when plain.
fn reads_back_as_string(text: &str) -> bool {
    text != "<<" && matches!(resolve_plain(text), Resolved::Str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read_back(yaml: &str) -> Vec<Value> {
        crate::parse_stream(yaml)
            .into_iter()
            .map(|document| document.expect("emitted YAML parses").value)
            .collect()
    }

    #[test]
    fn strings_that_yaml_1_1_would_retype_are_quoted() {
        let tricky = [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Y",
            "true",
            "False",
            "null",
            "~",
            "",
            "0644",
            "0x1f",
            "1e3",
            "1_000",
            "+1",
            "-.5",
            ".inf",
            ".nan",
            "12",
            "3.14",
            "<<",
            "- item",
            "a: b",
            "# comment",
            "key:",
            "@at",
            "`tick",
            " leading",
            "trailing ",
            "tab\there",
            "multi\nline",
            "ends with newline\n",
            "\n",
            "quote \"x\" 'y'",
            "2001-12-14t21:59:43.10-05:00",
            "ünïcode ✓",
            "%percent",
            "!bang",
            "&anchor",
            "*alias",
            "{a: 1}",
            "[1]",
        ];
        for text in tricky {
            let value = json!({ text: text, "list": [text] });
            let yaml = to_yaml(&value);
            assert_eq!(read_back(&yaml), vec![value], "round trip of {text:?} through:\n{yaml}");
        }
    }

    #[test]
    fn scalars_keep_their_types() {
        let value = json!({"int": 42, "negative": -7, "float": 1.5, "big": 18446744073709551615u64,
            "bool": false, "null": null, "empty_map": {}, "empty_list": [], "nested": [{"a": [1, "1"]}]});
        let yaml = to_yaml(&value);
        assert_eq!(read_back(&yaml), vec![value]);
        assert!(
            yaml.contains("empty_map: {}\n") && yaml.contains("empty_list: []\n"),
            "{yaml}"
        );
    }

    #[test]
    fn documents_are_separated_and_readable() {
        let documents = vec![
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"run.sh": "#!/bin/sh\nexec app\n"}}),
        ];
        let yaml = to_yaml_documents(&documents);
        assert_eq!(
            yaml,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\n\
             data:\n  run.sh: |\n    #!/bin/sh\n    exec app\n"
        );
        assert_eq!(read_back(&yaml), documents);
    }

    #[test]
    fn long_lines_are_not_folded() {
        let long = "word ".repeat(40).trim_end().to_owned();
        let yaml = to_yaml(&json!({ "description": long }));
        assert_eq!(yaml.lines().count(), 1, "{yaml}");
    }
}
