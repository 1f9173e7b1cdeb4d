//! Builds one document's JSON value and positions from libyaml events, with go-yaml v2's
//! decoding rules (what `sigs.k8s.io/yaml` runs under kubectl):
//! - only the first document of the text is read;
//! - `<<` merges are applied where they appear, into the mapping being built: a key written
//!   after the `<<` wins over a merged one, a key written before it is overwritten (go-yaml v2
//!   sets merged keys into the same map in document order), and in `<<: [*a, *b]` earlier
//!   mappings win over later ones;
//! - duplicate keys keep the last value (a warning records them);
//! - aliases re-read the anchored node, with go-yaml's limit on alias expansion so a "billion
//!   laughs" document fails instead of exhausting memory.
//!
//! libyaml-safer follows libyaml 0.2.5, go-yaml v2 an older libyaml. The differences that the
//! differential test against kubectl found are bridged here (for YAML, not for the values of
//! a JSON stream, which kubectl reads with `encoding/json`):
//! - in double quotes, go-yaml accepts `\'` (an apostrophe) and rejects `\/`;
//! - in a flow collection, go-yaml keeps a `:` followed by `,`, `]` or `}` in a plain scalar
//!   (`[a:]` is `["a:"]`) and ends a plain scalar at `?` (so `[http://x?y]` is an error).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub(crate) use libyaml_safer::Mark;
use libyaml_safer::{EventData, MappingStyle, Parser, ScalarStyle, SequenceStyle};
use serde_json::map::Entry;
use serde_json::{Map, Value};

use crate::positions::{Kids, PosEntry, PosNode, Position};
use crate::resolve::{self, TAG_MERGE};
use crate::ParseError;

/// Where the parsed text starts in its file, to turn parser marks into file positions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    pub(crate) first_line: u32,
    pub(crate) first_column: u32,
}

impl Origin {
    pub(crate) fn position(&self, mark: Mark) -> Position {
        let line = u32::try_from(mark.line).unwrap_or(u32::MAX);
        let column = u32::try_from(mark.column).unwrap_or(u32::MAX).saturating_add(1);
        Position {
            line: self.first_line.saturating_add(line),
            column: if line == 0 {
                column.saturating_add(self.first_column - 1)
            } else {
                column
            },
        }
    }

    fn error(&self, pos: Position, message: impl Into<String>) -> ParseError {
        ParseError {
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

pub(crate) struct Built {
    pub(crate) value: Value,
    pub(crate) positions: PosNode,
    pub(crate) warnings: Vec<ParseError>,
    pub(crate) kubectl_rejects: bool,
}

/// Stands in for a `:` that go-yaml keeps in a flow plain scalar but libyaml rejects.
const COLON_STANDIN: char = '\u{F8FE}';
/// Follows the `'` that stands in for go-yaml's `\'` escape; removed from the value.
const ESCAPE_STANDIN: char = '\u{F8FF}';

/// Parses the first document of `text`; `Ok(None)` when it has no content or is a null.
/// `go_yaml` selects go-yaml v2's dialect (see the module docs); off for JSON.
pub(crate) fn build(text: &str, origin: Origin, go_yaml: bool) -> Result<Option<Built>, ParseError> {
    // libyaml-safer 0.3.0 panics on a block scalar that ends the input without a line break
    // (`read_line_break` on an empty buffer); libyaml reads EOF as a line break, so adding one
    // changes nothing else.
    let mut owned: Option<String> = (!text.ends_with('\n')).then(|| format!("{text}\n"));
    let can_stand_in = go_yaml && !text.contains([COLON_STANDIN, ESCAPE_STANDIN]);
    let mut stand_ins = false;
    // Each retry replaces at least one construct go-yaml accepts and libyaml does not.
    for _ in 0..1000 {
        let current = owned.as_deref().unwrap_or(text);
        // A second line of defence: libyaml-safer also panics on a few inputs that libyaml
        // rejects or accepts cleanly (e.g. a tag directly followed by `,` in a flow
        // collection, which go-yaml v2 rejects). Turn such a panic into an error for this
        // document only.
        let result = catch_unwind(AssertUnwindSafe(|| {
            Builder::new(origin, go_yaml, stand_ins).run(current)
        }))
        .unwrap_or_else(|_| {
            Err(Failure::Other(origin.error(
                origin.position(Mark::default()),
                "the YAML parser failed on this document (unsupported construct)",
            )))
        });
        match result {
            Ok(built) => return Ok(built),
            Err(Failure::Other(err)) => return Err(err),
            Err(Failure::Parser { error, index }) => {
                let fixed = can_stand_in.then(|| stand_in(current, index)).flatten();
                match fixed {
                    Some(fixed) => {
                        owned = Some(fixed);
                        stand_ins = true;
                    }
                    None => return Err(error),
                }
            }
        }
    }
    Err(origin.error(
        origin.position(Mark::default()),
        "too many constructs to adapt for libyaml",
    ))
}

/// If libyaml stopped at a construct go-yaml accepts, the text with that construct replaced
/// by a stand-in of the same length in characters (so every position stays right).
fn stand_in(text: &str, index: usize) -> Option<String> {
    let rest = text.get(index..)?;
    if rest.starts_with("\\'") {
        // All the `\'` of this double-quoted scalar at once.
        let mut fixed = String::with_capacity(text.len() + 8);
        fixed.push_str(&text[..index]);
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    fixed.push_str(&rest[i..]);
                    return Some(fixed);
                }
                '\\' => match chars.next() {
                    Some((_, '\'')) => {
                        fixed.push('\'');
                        fixed.push(ESCAPE_STANDIN);
                    }
                    Some((_, next)) => {
                        fixed.push('\\');
                        fixed.push(next);
                    }
                    None => fixed.push('\\'),
                },
                c => fixed.push(c),
            }
        }
        return Some(fixed);
    }
    let mut next = rest.chars();
    if next.next() == Some(':') && matches!(next.next(), Some(',' | ']' | '}')) {
        return Some(format!("{}{COLON_STANDIN}{}", &text[..index], &rest[1..]));
    }
    None
}

/// Why a run failed: a libyaml error (where, so a stand-in can be tried), or anything else.
enum Failure {
    Parser { error: ParseError, index: usize },
    Other(ParseError),
}

impl From<ParseError> for Failure {
    fn from(error: ParseError) -> Self {
        Failure::Other(error)
    }
}

/// A finished node, before its parent decides whether it is a key or a value.
#[derive(Clone)]
enum Node {
    Scalar {
        text: String,
        tag: Option<String>,
        plain: bool,
        pos: Position,
    },
    Tree(Value, PosNode),
}

#[derive(Clone)]
struct Anchor {
    node: Node,
    /// Decode operations go-yaml spends on one expansion of this node.
    count: u64,
}

enum Pending {
    Merge(Position),
    Key(String, Position),
}

enum Frame {
    Seq {
        items: Vec<Value>,
        positions: Vec<PosNode>,
        pos: Position,
        anchor: Option<String>,
        start_count: u64,
        flow: bool,
    },
    Map {
        map: Map<String, Value>,
        entries: Vec<PosEntry>,
        pos: Position,
        anchor: Option<String>,
        start_count: u64,
        pending: Option<Pending>,
        flow: bool,
    },
}

impl Frame {
    fn anchor(&self) -> Option<&str> {
        match self {
            Frame::Seq { anchor, .. } | Frame::Map { anchor, .. } => anchor.as_deref(),
        }
    }
}

struct Builder {
    origin: Origin,
    go_yaml: bool,
    /// The text holds stand-ins to turn back into what was written.
    stand_ins: bool,
    /// Depth of flow collections (`[ ]`, `{ }`) around the current event.
    flow_depth: usize,
    /// Set when the document uses something kubectl's reader refuses.
    kubectl_rejects: bool,
    stack: Vec<Frame>,
    anchors: HashMap<String, Anchor>,
    root: Option<Node>,
    warnings: Vec<ParseError>,
    decode_count: u64,
    alias_count: u64,
}

impl Builder {
    fn new(origin: Origin, go_yaml: bool, stand_ins: bool) -> Self {
        Builder {
            origin,
            go_yaml,
            stand_ins,
            flow_depth: 0,
            kubectl_rejects: false,
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            warnings: Vec::new(),
            decode_count: 0,
            alias_count: 0,
        }
    }

    fn run(mut self, text: &str) -> Result<Option<Built>, Failure> {
        let mut parser = Parser::new();
        let mut input = text.as_bytes();
        parser.set_input_string(&mut input);
        loop {
            let event = match parser.parse() {
                Ok(event) => event,
                Err(err) => {
                    let index = err.problem_mark().map_or(usize::MAX, |m| m.index as usize);
                    return Err(Failure::Parser {
                        error: self.parser_error(&err, text),
                        index,
                    });
                }
            };
            let pos = self.origin.position(event.start_mark);
            match event.data {
                EventData::StreamStart { .. } => {}
                EventData::DocumentStart {
                    version_directive,
                    tag_directives,
                    ..
                } => {
                    if version_directive.is_some() || !tag_directives.is_empty() {
                        // kubectl cuts the stream at `---` before parsing, which separates
                        // the directives from their document.
                        self.kubectl_rejects = true;
                        self.warnings.push(self.origin.error(
                            pos,
                            "kubectl cannot read a document with %YAML or %TAG directives \
                             (it splits them from the document at the `---`)",
                        ));
                    }
                }
                // Like go-yaml's Unmarshal, read only the first document of the text.
                EventData::DocumentEnd { .. } | EventData::StreamEnd => break,
                EventData::Scalar {
                    anchor,
                    tag,
                    mut value,
                    plain_implicit,
                    style,
                    ..
                } => {
                    self.count_node(pos)?;
                    if self.go_yaml {
                        let raw = text.get(event.start_mark.index as usize..event.end_mark.index as usize);
                        self.check_go_yaml_scalar(raw.unwrap_or_default(), style, event.start_mark)?;
                    }
                    if self.stand_ins && value.contains([COLON_STANDIN, ESCAPE_STANDIN]) {
                        value = value.replace(COLON_STANDIN, ":").replace(ESCAPE_STANDIN, "");
                    }
                    // go-yaml reads libyaml's plain_implicit: true for untagged plain scalars
                    // (the only ones that are resolved) and for the `!` tag.
                    self.deliver(
                        Node::Scalar {
                            text: value,
                            tag,
                            plain: plain_implicit,
                            pos,
                        },
                        anchor,
                        1,
                    )?;
                }
                EventData::Alias { anchor } => self.alias(anchor, pos)?,
                EventData::SequenceStart { anchor, style, .. } => {
                    self.count_node(pos)?;
                    let flow = style == SequenceStyle::Flow;
                    self.flow_depth += usize::from(flow);
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        positions: Vec::new(),
                        pos,
                        anchor,
                        start_count: self.decode_count,
                        flow,
                    });
                }
                EventData::MappingStart { anchor, style, .. } => {
                    self.count_node(pos)?;
                    let flow = style == MappingStyle::Flow;
                    self.flow_depth += usize::from(flow);
                    self.stack.push(Frame::Map {
                        map: Map::new(),
                        entries: Vec::new(),
                        pos,
                        anchor,
                        start_count: self.decode_count,
                        pending: None,
                        flow,
                    });
                }
                EventData::SequenceEnd | EventData::MappingEnd => {
                    let Some(frame) = self.stack.pop() else { continue };
                    let (node, anchor, start_count, flow) = match frame {
                        Frame::Seq {
                            items,
                            positions,
                            pos,
                            anchor,
                            start_count,
                            flow,
                        } => {
                            let tree = PosNode {
                                pos,
                                kids: Kids::Seq(positions),
                            };
                            (Node::Tree(Value::Array(items), tree), anchor, start_count, flow)
                        }
                        Frame::Map {
                            map,
                            entries,
                            pos,
                            anchor,
                            start_count,
                            flow,
                            ..
                        } => {
                            let tree = PosNode {
                                pos,
                                kids: Kids::Map(entries),
                            };
                            (Node::Tree(Value::Object(map), tree), anchor, start_count, flow)
                        }
                    };
                    self.flow_depth -= usize::from(flow);
                    let count = self.decode_count - start_count + 1;
                    self.deliver(node, anchor, count)?;
                }
            }
        }
        let Some(root) = self.root.take() else { return Ok(None) };
        let (value, positions) = node_value(root, self.origin)?;
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(Built {
            value,
            positions,
            warnings: self.warnings,
            kubectl_rejects: self.kubectl_rejects,
        }))
    }

    /// What go-yaml's older scanner rejects in a scalar that libyaml-safer accepts: `\/` in
    /// double quotes, `?` inside a plain scalar in a flow collection. `raw` is the scalar as
    /// written.
    fn check_go_yaml_scalar(&self, raw: &str, style: ScalarStyle, start: Mark) -> Result<(), ParseError> {
        let found = match style {
            ScalarStyle::DoubleQuoted if raw.contains('\\') => {
                let mut found = None;
                let mut chars = raw.char_indices();
                while let Some((i, c)) = chars.next() {
                    if c == '\\' && chars.next().map(|(_, c)| c) == Some('/') {
                        found = Some((
                            i,
                            "found unknown escape character: kubectl's YAML parser does not accept `\\/`",
                        ));
                        break;
                    }
                }
                found
            }
            ScalarStyle::Plain if self.flow_depth > 0 => raw.find('?').map(|i| {
                (
                    i,
                    "did not find expected ',' (kubectl's YAML parser ends a plain scalar at `?` inside \
                     [ ] or { }: quote the value)",
                )
            }),
            _ => None,
        };
        let Some((offset, message)) = found else { return Ok(()) };
        let before = &raw[..offset];
        let mut mark = start;
        match before.rfind('\n') {
            Some(nl) => {
                mark.line += before.matches('\n').count() as u64;
                mark.column = before[nl + 1..].chars().count() as u64;
            }
            None => mark.column += before.chars().count() as u64,
        }
        Err(self.origin.error(self.origin.position(mark), message))
    }

    /// go-yaml's guard against alias bombs (`allowedAliasRatio` in decode.go): past 1000
    /// decoded nodes, at most 99% (falling to 10% for huge documents) may come from aliases.
    fn check_aliasing(&self, pos: Position) -> Result<(), ParseError> {
        let (aliases, decodes) = (self.alias_count, self.decode_count);
        if aliases > 100 && decodes > 1000 {
            let allowed = match decodes {
                0..=400_000 => 0.99,
                4_000_000.. => 0.10,
                d => 0.99 - 0.89 * ((d - 400_000) as f64 / 3_600_000.0),
            };
            if aliases as f64 / decodes as f64 > allowed {
                return Err(self.origin.error(pos, "document contains excessive aliasing"));
            }
        }
        Ok(())
    }

    fn count_node(&mut self, pos: Position) -> Result<(), ParseError> {
        self.decode_count += 1;
        self.check_aliasing(pos)
    }

    fn alias(&mut self, name: String, pos: Position) -> Result<(), ParseError> {
        // go-yaml registers an anchor when its node starts, so an alias inside the node it
        // names refers to that node itself.
        if self.stack.iter().any(|f| f.anchor() == Some(name.as_str())) {
            return Err(self.origin.error(pos, format!("anchor '{name}' value contains itself")));
        }
        let Some(anchor) = self.anchors.get(&name) else {
            return Err(self.origin.error(pos, format!("unknown anchor '{name}' referenced")));
        };
        let count = anchor.count;
        self.decode_count += 1 + count;
        self.alias_count += count;
        self.check_aliasing(pos)?;
        // The alias itself is where the value is used; what is inside keeps the positions
        // where it is written.
        let mut node = self.anchors[&name].node.clone();
        match &mut node {
            Node::Scalar { pos: at, .. } | Node::Tree(_, PosNode { pos: at, .. }) => *at = pos,
        }
        self.deliver(node, None, 1 + count)
    }

    /// Hands a finished node to its parent: an item, a key, a value, a merge, or the root.
    fn deliver(&mut self, node: Node, anchor: Option<String>, count: u64) -> Result<(), ParseError> {
        if let Some(name) = anchor {
            self.anchors.insert(
                name,
                Anchor {
                    node: node.clone(),
                    count,
                },
            );
        }
        let origin = self.origin;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, positions, .. }) => {
                let (value, pos) = node_value(node, origin)?;
                items.push(value);
                positions.push(pos);
            }
            Some(Frame::Map {
                pending: pending @ None,
                ..
            }) => *pending = Some(node_key(node, origin)?),
            Some(Frame::Map {
                map,
                entries,
                pending: pending @ Some(_),
                ..
            }) => match pending.take() {
                Some(Pending::Merge(at)) => merge(map, entries, node, at, origin)?,
                Some(Pending::Key(key, key_pos)) => {
                    let (value, node) = node_value(node, origin)?;
                    insert(map, entries, key, key_pos, value, node, false, &mut self.warnings);
                }
                None => unreachable!("pending was Some"),
            },
        }
        Ok(())
    }

    fn parser_error(&self, err: &libyaml_safer::Error, text: &str) -> ParseError {
        let problem = err.problem();
        let Some(mark) = err.problem_mark() else {
            // Reader errors carry a byte offset we cannot read back; find the offending
            // character ourselves (libyaml only rejects non-printable ones).
            let (line, column) = first_unprintable(text);
            let mut mark = Mark::default();
            (mark.line, mark.column) = (line, column);
            let pos = self.origin.position(mark);
            return self.origin.error(pos, problem);
        };
        let pos = self.origin.position(mark);
        let message = match (err.context(), err.context_mark()) {
            (Some(context), Some(at)) => format!("{problem} ({context} at {})", self.origin.position(at)),
            (Some(context), None) => format!("{problem} ({context})"),
            _ => problem.to_owned(),
        };
        self.origin.error(pos, message)
    }
}

/// A node used as a value: scalars are resolved and become JSON.
fn node_value(node: Node, origin: Origin) -> Result<(Value, PosNode), ParseError> {
    match node {
        Node::Tree(value, pos) => Ok((value, pos)),
        Node::Scalar { text, tag, plain, pos } => {
            let value = resolve::resolve_scalar(tag.as_deref(), &text, plain)
                .and_then(|resolved| resolve::to_json(resolved, text))
                .map_err(|message| origin.error(pos, message))?;
            Ok((value, PosNode::leaf(pos)))
        }
    }
}

/// A node used as a mapping key: the `<<` merge key, or the JSON key it becomes.
fn node_key(node: Node, origin: Origin) -> Result<Pending, ParseError> {
    match node {
        Node::Scalar { text, tag, plain, pos } => {
            // go-yaml's isMerge: `<<` as a plain scalar, or explicitly tagged `!!merge`.
            if text == "<<" && (plain || tag.as_deref() == Some(TAG_MERGE)) {
                return Ok(Pending::Merge(pos));
            }
            let key = resolve::resolve_scalar(tag.as_deref(), &text, plain)
                .and_then(|resolved| resolve::to_key(resolved, text))
                .map_err(|message| origin.error(pos, message))?;
            Ok(Pending::Key(key, pos))
        }
        Node::Tree(value, pos) => {
            let what = if value.is_array() { "a sequence" } else { "a mapping" };
            Err(origin.error(pos.pos, format!("invalid map key: {what} cannot be a key")))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn insert(
    map: &mut Map<String, Value>,
    entries: &mut Vec<PosEntry>,
    key: String,
    key_pos: Position,
    value: Value,
    node: PosNode,
    merged: bool,
    warnings: &mut Vec<ParseError>,
) {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            entries.push(PosEntry {
                key: slot.key().as_str().into(),
                key_pos,
                node,
                merged,
            });
            slot.insert(value);
        }
        Entry::Occupied(mut slot) => {
            slot.insert(value);
            let key = slot.key();
            let entry = entries
                .iter_mut()
                .find(|e| *e.key == *key)
                .expect("every map key has a position entry");
            if !merged && !entry.merged {
                warnings.push(ParseError {
                    line: key_pos.line,
                    column: key_pos.column,
                    message: format!(
                        "duplicate key \"{key}\" (first at {}): the last value is used, as kubectl does",
                        entry.key_pos
                    ),
                });
            }
            (entry.key_pos, entry.node, entry.merged) = (key_pos, node, merged);
        }
    }
}

/// Applies `<<: value` to the mapping being built.
fn merge(
    map: &mut Map<String, Value>,
    entries: &mut Vec<PosEntry>,
    node: Node,
    at: Position,
    origin: Origin,
) -> Result<(), ParseError> {
    let fail = || origin.error(at, "map merge requires map or sequence of maps as the value");
    let Node::Tree(value, tree) = node else {
        return Err(fail());
    };
    let mut sources = Vec::new();
    match (value, tree.kids) {
        (Value::Object(m), Kids::Map(e)) => sources.push((m, e)),
        (Value::Array(items), Kids::Seq(trees)) => {
            for (item, tree) in items.into_iter().zip(trees) {
                match (item, tree.kids) {
                    (Value::Object(m), Kids::Map(e)) => sources.push((m, e)),
                    _ => return Err(fail()),
                }
            }
            // Earlier mappings take precedence: apply them last.
            sources.reverse();
        }
        _ => return Err(fail()),
    }
    let mut ignored = Vec::new();
    for (mut source, source_entries) in sources {
        for entry in source_entries {
            let value = source.remove(&*entry.key).unwrap_or(Value::Null);
            insert(
                map,
                entries,
                entry.key.into(),
                entry.key_pos,
                value,
                entry.node,
                true,
                &mut ignored,
            );
        }
    }
    Ok(())
}

/// Line and column (0-based) of the first character libyaml's reader rejects.
fn first_unprintable(text: &str) -> (u64, u64) {
    let (mut line, mut column) = (0, 0);
    for c in text.chars() {
        let printable = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        if !printable {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
    }
    (line, column)
}
