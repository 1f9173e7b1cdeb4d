//! What the loader reads from YAML, through the public API: YAML 1.1 scalars as kubectl reads
//! them, merges, anchors, duplicate keys, non-string keys, positions, streams and errors.

use serde_json::{json, Value};
use tailor_kube::FieldPath;
use tailor_manifest::{parse_document, parse_stream, split_documents, Document, KubectlView, Position, Syntax};

fn doc(text: &str) -> Document {
    let mut docs = parse_stream(text);
    assert_eq!(docs.len(), 1, "one document expected in {text:?}");
    docs.remove(0).unwrap_or_else(|e| panic!("{e} in {text:?}"))
}

fn value(text: &str) -> Value {
    doc(text).value
}

fn field(text: &str) -> Value {
    value(&format!("x: {text}\n"))["x"].clone()
}

fn error(text: &str) -> String {
    match parse_stream(text).remove(0) {
        Ok(d) => panic!("expected an error for {text:?}, got {}", d.value),
        Err(e) => e.to_string(),
    }
}

fn path(p: &str) -> FieldPath {
    let mut out = FieldPath::new();
    for part in p.split('.') {
        match part.split_once('[') {
            Some((key, index)) => {
                if !key.is_empty() {
                    out = out.key(key);
                }
                out = out.index(index.trim_end_matches(']').parse().unwrap());
            }
            None => out = out.key(part),
        }
    }
    out
}

fn at(line: u32, column: u32) -> Position {
    Position { line, column }
}

#[test]
fn yaml_1_1_booleans() {
    for t in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] {
        assert_eq!(field(t), json!(true), "{t}");
    }
    for f in [
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    ] {
        assert_eq!(field(f), json!(false), "{f}");
    }
    for s in ["yEs", "oN", "tRUE", "Nope", "\"yes\"", "'on'"] {
        assert!(field(s).is_string(), "{s}");
    }
    // The case that matters: a privileged container written the YAML 1.1 way.
    let pod = value("spec:\n  containers:\n  - securityContext:\n      privileged: yes\n");
    assert_eq!(
        pod["spec"]["containers"][0]["securityContext"]["privileged"],
        json!(true)
    );
}

#[test]
fn nulls() {
    for n in ["~", "null", "Null", "NULL", ""] {
        assert_eq!(field(n), Value::Null, "{n:?}");
    }
    assert_eq!(field("nUll"), json!("nUll"));
    assert_eq!(field("\"~\""), json!("~"));
}

#[test]
fn integers_follow_go_parse_int() {
    let cases = [
        ("0644", json!(420)),
        ("0o17", json!(15)),
        ("0x1F", json!(31)),
        ("0X1f", json!(31)),
        ("0b101", json!(5)),
        ("-0b101", json!(-5)),
        ("+12", json!(12)),
        ("+0x1F", json!(31)),
        ("1_000", json!(1000)),
        ("0x_1F", json!(31)),
        ("-0", json!(0)),
        ("9223372036854775807", json!(i64::MAX)),
        ("-9223372036854775808", json!(i64::MIN)),
        ("9223372036854775808", json!(9223372036854775808u64)),
        ("18446744073709551615", json!(u64::MAX)),
    ];
    for (text, expected) in cases {
        assert_eq!(field(text), expected, "{text}");
    }
    // Not octal: ParseInt fails, the float regex matches, so 08 is the number 8.
    assert_eq!(field("08"), json!(8));
    // Not numbers at all.
    for s in [
        "0x",
        "0b102",
        "0o8",
        "1_2-3",
        "12:30",
        "0xFFFFFFFFFFFFFFFFFFFF",
        "+",
        "-1-",
        "1.2.3",
    ] {
        assert!(field(s).is_string(), "{s}");
    }
}

#[test]
fn floats_reach_the_server_as_json_prints_them() {
    assert_eq!(field("1.5"), json!(1.5));
    assert_eq!(field(".5"), json!(0.5));
    assert_eq!(field("-.5"), json!(-0.5));
    assert_eq!(field("1.5e-3"), json!(0.0015));
    assert_eq!(field("1_000.5"), json!(1000.5));
    // encoding/json prints integral floats without a fraction: the API server reads integers,
    // so `runAsUser: 0.0` is root.
    assert_eq!(field("1e3"), json!(1000));
    assert_eq!(field("1.0"), json!(1));
    assert_eq!(field("0.0"), json!(0));
    assert_eq!(field("-0.0"), json!(0));
    assert!(field("1e3").is_u64() || field("1e3").is_i64());
    assert!(field("1e21").is_f64());
    // Beyond int64 the float stays a float; overflowing floats stay strings (ParseFloat fails).
    assert_eq!(field("123456789012345678901234").as_f64(), Some(1.2345678901234568e23));
    assert_eq!(field("1e400"), json!("1e400"));
}

#[test]
fn infinities_and_nan_fail_as_in_kubectl() {
    // YAMLToJSON cannot print them: "json: unsupported value: +Inf".
    assert_eq!(error("a: .inf\n"), "1:4: json: unsupported value: +Inf");
    assert!(error("a:\n  b: -.Inf\n").starts_with("2:6: json: unsupported value: -Inf"));
    assert!(error("a: .NaN\n").contains("unsupported value: NaN"));
    // As keys they are fine (converted to strings).
    assert_eq!(value(".inf: 1\n"), json!({".inf": 1}));
}

#[test]
fn timestamps_and_quoted_scalars_stay_strings() {
    for t in [
        "2001-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10",
        "2002-13-45",
    ] {
        assert_eq!(field(t), json!(t), "{t}");
    }
    assert_eq!(field("\"0644\""), json!("0644"));
    assert_eq!(field("'true'"), json!("true"));
    assert_eq!(field("|\n  yes\n"), json!("yes\n"));
    assert_eq!(field(">-\n  0x1F\n"), json!("0x1F"));
}

#[test]
fn explicit_tags_as_go_yaml_honours_them() {
    assert_eq!(field("!!str 123"), json!("123"));
    assert_eq!(field("!!int \"12\""), json!(12));
    assert_eq!(field("!!float 1"), json!(1));
    assert_eq!(field("!!bool \"yes\""), json!(true));
    assert_eq!(field("!!binary aGVsbG8="), json!("hello"));
    assert_eq!(field("!foo 12"), json!("12"));
    assert_eq!(field("! 12"), json!("12"));
    assert_eq!(field("!!timestamp 2001-12-14"), json!("2001-12-14"));
    assert!(error("a: !!int 1.5\n").ends_with("cannot decode !!float `1.5` as a !!int"));
    assert!(error("a: !!null foo\n").ends_with("cannot decode !!str `foo` as a !!null"));
    assert!(error("a: !!binary \"not base64!\"\n").contains("invalid base64"));
}

#[test]
fn merge_keys() {
    let v = value(
        "base: &base {a: 1, b: 2, c: 3}\n\
         after:\n  <<: *base\n  b: 20\n\
         before:\n  b: 20\n  <<: *base\n\
         seq:\n  <<: [{a: 1, x: 1}, {a: 2, z: 2}, *base]\n  c: 30\n\
         quoted:\n  \"<<\": {k: 1}\n",
    );
    // A key written after `<<` wins; go-yaml v2 applies the merge where it appears, so one
    // written before it is overwritten (kubectl does the same).
    assert_eq!(v["after"], json!({"a": 1, "b": 20, "c": 3}));
    assert_eq!(v["before"], json!({"a": 1, "b": 2, "c": 3}));
    // In a sequence, earlier mappings win.
    assert_eq!(v["seq"], json!({"a": 1, "b": 2, "c": 30, "x": 1, "z": 2}));
    // A quoted "<<" is an ordinary key.
    assert_eq!(v["quoted"], json!({"<<": {"k": 1}}));
    assert!(error("a: &x [1]\nb:\n  <<: *x\n").ends_with("map merge requires map or sequence of maps as the value"));
    // Overriding a merged key is not a duplicate.
    assert!(doc("base: &b {a: 1}\nm:\n  <<: *b\n  a: 2\n").warnings.is_empty());
}

#[test]
fn anchors_and_aliases() {
    let v = value("a: &x {k: [1, 2]}\nb: *x\nc: &s 0644\nd: *s\n*s : scalar-key\ne: &x redefined\nf: *x\n");
    assert_eq!(v["b"], json!({"k": [1, 2]}));
    assert_eq!(v["d"], json!(420));
    assert_eq!(v["420"], json!("scalar-key"));
    assert_eq!(v["f"], json!("redefined"));
    // An alias is located where it is used, what it brings where that is written.
    let d = doc("base: &b\n  privileged: true\nc:\n  - *b\n");
    assert_eq!(d.positions.get(&path("c[0]")), Some(at(4, 5)));
    assert_eq!(d.positions.get(&path("c[0].privileged")), Some(at(2, 3)));
    assert!(error("a: *nope\n").ends_with("unknown anchor 'nope' referenced"));
    assert!(error("a: &x [*x]\n").ends_with("anchor 'x' value contains itself"));
}

#[test]
fn alias_bombs_fail_like_go_yaml() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(error(&text).ends_with("document contains excessive aliasing"));
}

#[test]
fn duplicate_keys_keep_the_last_value_with_a_warning() {
    let d = doc("metadata:\n  name: first\n  name: last\n");
    assert_eq!(d.value["metadata"]["name"], json!("last"));
    assert_eq!(d.warnings.len(), 1);
    let w = &d.warnings[0];
    assert_eq!((w.line, w.column), (3, 3));
    assert!(
        w.message.contains("duplicate key \"name\" (first at 2:3)"),
        "{}",
        w.message
    );
    // The position is the one of the value kept.
    assert_eq!(d.positions.get(&path("metadata.name")), Some(at(3, 3)));
}

#[test]
fn non_string_keys_become_json_keys_as_yaml_to_json_does() {
    let v = value("1: int\n0x10: hex\nyes: t\noff: f\n1.5: float\n1e7: big\n123456789.0: f32\n-12: neg\n");
    assert_eq!(
        v,
        json!({"1": "int", "16": "hex", "true": "t", "false": "f", "1.5": "float", "1e+07": "big",
               "1.2345679e+08": "f32", "-12": "neg"})
    );
    assert!(error("~: 1\n").contains("null key"));
    assert!(error("18446744073709551615: 1\n").contains("unsupported map key"));
    assert!(error("? [a, b]\n: 1\n").contains("invalid map key"));
}

#[test]
fn positions_point_at_keys_in_the_file() {
    let text = "# comment\n\
                apiVersion: v1\n\
                kind: Pod\n\
                spec:\n\
                \x20 containers:\n\
                \x20 - name: app\n\
                \x20   securityContext:\n\
                \x20     privileged: true\n";
    let d = doc(text);
    let p = &d.positions;
    assert_eq!(p.get(&FieldPath::new()), Some(at(2, 1)));
    assert_eq!(p.get(&path("spec.containers")), Some(at(5, 3)));
    assert_eq!(p.get(&path("spec.containers[0]")), Some(at(6, 5)));
    assert_eq!(
        p.get(&path("spec.containers[0].securityContext.privileged")),
        Some(at(8, 7))
    );
    assert_eq!(
        p.value(&path("spec.containers[0].securityContext.privileged")),
        Some(at(8, 19))
    );
    assert_eq!(p.get(&path("spec.containers[0].securityContext.runAsUser")), None);
    // A missing field is located at the deepest part that exists.
    assert_eq!(
        p.locate(&path("spec.containers[0].securityContext.runAsUser")),
        at(7, 5)
    );
    assert_eq!(p.locate(&path("spec.volumes[0].hostPath")), at(4, 1));
    assert_eq!(p.locate(&path("nothing")), at(2, 1));
}

#[test]
fn positions_in_list_items_and_later_documents() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\
                apiVersion: v1\n\
                kind: List\n\
                items:\n\
                - apiVersion: v1\n\
                \x20 kind: Pod\n\
                \x20 metadata: {name: p}\n\
                \x20 spec:\n\
                \x20   hostPID: true\n";
    let docs: Vec<Document> = parse_stream(text).into_iter().map(Result::unwrap).collect();
    assert_eq!(docs.len(), 2);
    let list = &docs[1];
    assert_eq!(list.index, 1);
    let (objects, skipped) = list.objects();
    assert_eq!((objects.len(), skipped), (1, 0));
    let pod = &objects[0];
    assert_eq!(pod.path, path("items[0]"));
    assert_eq!(pod.type_meta.kind, "Pod");
    assert_eq!(list.positions.get(&pod.path), Some(at(8, 3)));
    assert_eq!(
        list.positions.get(&pod.path.join(&path("spec.hostPID"))),
        Some(at(12, 5))
    );
    // Flow mappings have positions too.
    assert_eq!(
        list.positions.get(&pod.path.join(&path("metadata.name"))),
        Some(at(10, 14))
    );
}

#[test]
fn lists_are_flattened_and_bare_items_take_the_list_kind() {
    let text = "apiVersion: v1\nkind: PodList\nitems:\n\
                - metadata: {name: inferred}\n\
                - apiVersion: v1\n  kind: ConfigMap\n\
                - kind: Secret\n\
                - apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: v1, kind: Service}\n";
    let d = doc(text);
    let (objects, skipped) = d.objects();
    let kinds: Vec<&str> = objects.iter().map(|o| o.type_meta.kind.as_str()).collect();
    assert_eq!(kinds, ["Pod", "ConfigMap", "Service"]);
    assert_eq!(objects[2].path, path("items[3].items[0]"));
    // `kind: Secret` without apiVersion is not a Kubernetes object.
    assert_eq!(skipped, 1);
    let empty = doc("apiVersion: v1\nkind: ConfigMapList\nitems: null\n");
    let (objects, skipped) = empty.objects();
    assert_eq!((objects.len(), skipped), (0, 0));
    assert_eq!(doc("just: data\n").objects().1, 1);
}

#[test]
fn splitting_respects_block_scalars_and_markers() {
    let text = "# header\n---\na: |\n  --- not a separator\n  ...\nb: 1\n--- # comment\nc: 2\n---\n---\n# only a comment\n...\nd: 3\n";
    let raws = split_documents(text);
    let firsts: Vec<u32> = raws.iter().map(|r| r.first_line).collect();
    assert_eq!(firsts, [1, 7, 9, 10, 13]);
    let docs = parse_stream(text);
    let values: Vec<Value> = docs.into_iter().map(|d| d.unwrap().value).collect();
    assert_eq!(
        values,
        [
            json!({"a": "--- not a separator\n...\n", "b": 1}),
            json!({"c": 2}),
            json!({"d": 3})
        ]
    );
    // A `---` at column 0 always ends a document, even in a block scalar.
    let values: Vec<Value> = parse_stream("a: |\n  x\n---\n  z\n")
        .into_iter()
        .map(|d| d.unwrap().value)
        .collect();
    assert_eq!(values, [json!({"a": "x\n"}), json!("z")]);
}

#[test]
fn bom_crlf_and_missing_final_newline() {
    let d = doc("\u{feff}a: 1\r\nb: |\r\n  x\r\n  y\r\nc: yes");
    assert_eq!(d.value, json!({"a": 1, "b": "x\ny\n", "c": true}));
    assert_eq!(d.positions.get(&path("c")), Some(at(5, 1)));
    assert_eq!(value("a: |\n  last"), json!({"a": "last\n"}));
}

#[test]
fn an_error_in_a_later_document_has_its_file_position_and_spares_the_others() {
    let text = "a: 1\n---\nb: 2\n---\nc:\n  d: 1\n   e: 2\n---\nf: 3\n";
    let results = parse_stream(text);
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().unwrap().value, json!({"a": 1}));
    assert_eq!(results[1].as_ref().unwrap().value, json!({"b": 2}));
    let err = results[2].as_ref().unwrap_err();
    assert_eq!((err.line, err.column), (7, 5));
    assert_eq!(err.to_string(), "7:5: mapping values are not allowed in this context");
    assert_eq!(results[3].as_ref().unwrap().value, json!({"f": 3}));
}

#[test]
fn error_messages_carry_their_context() {
    let err = error("a:\n  b: 1\n c: 2\n");
    assert!(
        err.starts_with("3:2: did not find expected key (while parsing a block mapping at 1:1)"),
        "{err}"
    );
    let err = error("a: \"x\u{1}\"\n");
    assert_eq!(err, "1:6: control characters are not allowed");
}

#[test]
fn json_streams_tabs_and_json_like_yaml() {
    // A JSON stream (kubectl decodes it with encoding/json), tab-indented.
    let text = "{\n\t\"kind\": \"ConfigMap\",\n\t\"apiVersion\": \"v1\",\n\t\"data\": {\"n\": 1.0, \"e\": \"\\ud83d\\ude00\"}\n}\n{\"kind\": \"Secret\"}\n";
    let raws = split_documents(text);
    assert_eq!(raws.len(), 2);
    assert!(raws.iter().all(|r| r.syntax == Syntax::Json));
    assert_eq!((raws[1].first_line, raws[1].first_column), (6, 1));
    let docs: Vec<Document> = parse_stream(text).into_iter().map(Result::unwrap).collect();
    assert_eq!(docs[0].value["data"], json!({"n": 1, "e": "😀"}));
    assert_eq!(docs[1].value, json!({"kind": "Secret"}));
    // JSON-like YAML with trailing commas and unquoted YAML values: not JSON, read as YAML.
    let d = doc("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": yes,},\n}\n");
    assert_eq!(d.value, json!({"kind": "Pod", "spec": {"hostPID": true}}));
    assert_eq!(d.positions.get(&path("spec.hostPID")), Some(at(3, 12)));
    // After two JSON values the stream is JSON: what follows must be JSON too.
    let results = parse_stream("{\"a\": 1}\n{\"b\": 2}\n---\nc: 3\n");
    assert_eq!(results.len(), 3);
    let err = results[2].as_ref().unwrap_err();
    assert_eq!(err.line, 3);
}

#[test]
fn constructs_go_yaml_reads_differently_from_libyaml() {
    // `\'` is an apostrophe for go-yaml; libyaml rejects it.
    assert_eq!(field("\"it\\'s \\'quoted\\'\""), json!("it's 'quoted'"));
    // go-yaml keeps `:` before `,` `]` `}` in a flow plain scalar.
    assert_eq!(
        value("a: [x:, z]\nb: {k: v:}\n"),
        json!({"a": ["x:", "z"], "b": {"k": "v:"}})
    );
    // go-yaml rejects `\/` and a `?` inside a flow plain scalar.
    assert!(error("a: \"x\\/y\"\n").starts_with("1:6: found unknown escape character"));
    assert!(error("args: [--url=http://h/p?q=1]\n").starts_with("1:24: did not find expected ','"));
    // Quoted, both are fine.
    assert_eq!(
        value("args: [\"--url=http://h/p?q=1\"]\n"),
        json!({"args": ["--url=http://h/p?q=1"]})
    );
    // JSON keeps `\/`: kubectl reads a JSON stream with encoding/json.
    assert_eq!(
        parse_stream("{\"a\": \"x\\/y\"}").remove(0).unwrap().value,
        json!({"a": "x/y"})
    );
}

#[test]
fn what_kubectl_refuses_is_read_with_a_warning() {
    let d = doc("%YAML 1.1\n---\na: 1\n");
    assert_eq!(d.kubectl, KubectlView::Rejects);
    assert_eq!(d.value, json!({"a": 1}));
    let d = doc("--- {a: 1}\n");
    assert_eq!(d.kubectl, KubectlView::Rejects);
    assert_eq!((d.warnings[0].line, d.warnings[0].column), (1, 5));
    let docs: Vec<Document> = parse_stream("a: 1\n...\nb: 2\n")
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(docs[0].kubectl, KubectlView::Reads);
    assert_eq!(docs[1].kubectl, KubectlView::Ignores);
    assert_eq!(docs[1].value, json!({"b": 2}));
}

#[test]
fn empty_and_null_documents_are_none() {
    for text in ["", "# just a comment\n", "---\n", "null\n", "~\n", "---\n...\n"] {
        for raw in split_documents(text) {
            assert!(parse_document(&raw).unwrap().is_none(), "{text:?}");
        }
    }
}

#[test]
fn libyaml_safer_panics_become_errors() {
    // libyaml-safer 0.3.0 panics on a tag followed by `,` in a flow collection; go-yaml
    // rejects the document, and so does Tailor, without taking the other documents down.
    let results = parse_stream("a: 1\n---\nb: {c: !!str, d: 1}\n---\ne: 2\n");
    assert_eq!(results.len(), 3);
    assert!(results[1].is_err());
    assert_eq!(results[2].as_ref().unwrap().value, json!({"e": 2}));
}

#[test]
fn helm_templates_are_told_from_template_text_in_values() {
    use tailor_manifest::looks_like_helm_template as helm;
    assert!(helm("metadata:\n  name: {{ .Release.Name }}\n"));
    assert!(helm("{{- if .Values.enabled }}\nkind: Pod\n{{- end }}\n"));
    assert!(helm("labels:\n  {{- include \"chart.labels\" . | nindent 4 }}\n"));
    assert!(helm(
        "image: \"repo:{{ .Chart.AppVersion }}\"\nname: x-{{ .Values.n }}\n"
    ));
    assert!(!helm(
        "summary: Instance {{ $labels.instance }} is down {{ with $labels.cluster -}} on {{ . }}{{- end }}\n"
    ));
    assert!(!helm(
        "args: [\"--model={{.Name}}\"]\ncmd: |\n  {{- if .Spec.X }} --x {{- end }}\n"
    ));
    assert!(!helm("a: '{{ .Values.x }}'\n# {{ .Values.y }}\n"));
    assert!(!helm("plain: no templates here\n"));
}
