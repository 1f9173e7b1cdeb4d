//! Where each node of a parsed document sits in its file, so that a finding about
//! `spec.containers[0].securityContext.privileged` can name the line of that field.

use serde_json::Value;
use tailor_kube::{FieldPath, Segment};

/// A place in a file: 1-based line and 1-based column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The positions of every node of one document, mirroring its JSON value.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    pub(crate) root: PosNode,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct PosNode {
    pub(crate) pos: Position,
    pub(crate) kids: Kids,
}

#[derive(Clone, Debug, Default)]
pub(crate) enum Kids {
    #[default]
    Leaf,
    /// One entry per key of the JSON object (keys are unique: duplicates were replaced).
    Map(Vec<PosEntry>),
    Seq(Vec<PosNode>),
}

#[derive(Clone, Debug)]
pub(crate) struct PosEntry {
    pub(crate) key: Box<str>,
    pub(crate) key_pos: Position,
    pub(crate) node: PosNode,
    /// Set by a `<<` merge rather than written in this mapping: overriding it is no duplicate.
    pub(crate) merged: bool,
}

impl PosNode {
    pub(crate) fn leaf(pos: Position) -> Self {
        PosNode { pos, kids: Kids::Leaf }
    }

    /// A tree shaped like `value` with every node at `pos`: for documents that only
    /// `serde_json` could read, which gives no positions.
    pub(crate) fn coarse(value: &Value, pos: Position) -> Self {
        let kids = match value {
            Value::Object(map) => Kids::Map(
                map.iter()
                    .map(|(k, v)| PosEntry {
                        key: k.as_str().into(),
                        key_pos: pos,
                        node: PosNode::coarse(v, pos),
                        merged: false,
                    })
                    .collect(),
            ),
            Value::Array(items) => Kids::Seq(items.iter().map(|v| PosNode::coarse(v, pos)).collect()),
            _ => Kids::Leaf,
        };
        PosNode { pos, kids }
    }

    fn child(&self, segment: &Segment) -> Option<(Position, &PosNode)> {
        match (segment, &self.kids) {
            (Segment::Key(key), Kids::Map(entries)) => {
                entries.iter().find(|e| *e.key == **key).map(|e| (e.key_pos, &e.node))
            }
            (Segment::Index(i), Kids::Seq(items)) => items.get(*i).map(|n| (n.pos, n)),
            _ => None,
        }
    }
}

impl Positions {
    /// Position of the document's root node.
    pub fn root(&self) -> Position {
        self.root.pos
    }

    /// Position of the node at `path`: for a mapping entry the position of its key (the line
    /// an editor should jump to), for a sequence item the item itself, for the empty path the
    /// root. `None` when the path does not exist in the document.
    pub fn get(&self, path: &FieldPath) -> Option<Position> {
        let mut node = &self.root;
        let mut pos = node.pos;
        for segment in path.segments() {
            (pos, node) = node.child(segment)?;
        }
        Some(pos)
    }

    /// Position of the value at `path` rather than of its key (e.g. the first item of a list
    /// written on the lines after its key).
    pub fn value(&self, path: &FieldPath) -> Option<Position> {
        let mut node = &self.root;
        for segment in path.segments() {
            node = node.child(segment)?.1;
        }
        Some(node.pos)
    }

    /// Position of the deepest node that exists along `path` (the root when nothing does):
    /// where a finding about a missing field points, e.g. the container that lacks a
    /// `securityContext`.
    pub fn locate(&self, path: &FieldPath) -> Position {
        let mut node = &self.root;
        let mut pos = node.pos;
        for segment in path.segments() {
            match node.child(segment) {
                Some((p, n)) => (pos, node) = (p, n),
                None => break,
            }
        }
        pos
    }
}
