//! Streaming audit-log reader over any [`BufRead`]: JSON lines as the API server's log backend
//! writes them, and also files holding one pretty-printed event, a JSON array of events or an
//! `EventList`; plain or gzip. One line is in memory at a time (a multi-line value only while
//! it is being read), so memory stays flat however long the log is.
//!
//! Malformed lines are counted and reported with their line numbers; they never stop reading.

use std::io::{self, BufRead, BufReader, Read};

use serde::Deserialize;
use serde_json::Value;

use crate::event::Event;

/// How many malformed lines are kept with their message; the rest are only counted.
pub const MAX_REPORTED_MALFORMED: usize = 100;
/// A value spread over lines larger than this is reported malformed instead of buffered.
const MAX_MULTILINE_BYTES: usize = 256 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line where the bad value starts.
    pub line: u64,
    pub message: String,
}

/// What reading one stream saw.
#[derive(Clone, Debug, Default)]
pub struct ReadStats {
    pub events: u64,
    /// Every malformed value, counted.
    pub malformed_count: u64,
    /// The first [`MAX_REPORTED_MALFORMED`] of them, with line and reason.
    pub malformed: Vec<Malformed>,
}

impl ReadStats {
    fn malformed(&mut self, line: u64, message: String) {
        self.malformed_count += 1;
        if self.malformed.len() < MAX_REPORTED_MALFORMED {
            self.malformed.push(Malformed { line, message });
        }
    }

    /// Adds another stream's counts (a rotated set read file by file).
    pub fn absorb(&mut self, other: ReadStats) {
        self.events += other.events;
        self.malformed_count += other.malformed_count;
        let room = MAX_REPORTED_MALFORMED.saturating_sub(self.malformed.len());
        self.malformed.extend(other.malformed.into_iter().take(room));
    }
}

/// Wraps `reader` in a gzip decoder when the stream starts with the gzip magic bytes, whatever
/// the file is called (rotated logs are often compressed without a `.gz` suffix, and stdin has
/// no name). Concatenated gzip members are read as one stream.
pub fn decompress<'r, R: BufRead + 'r>(mut reader: R) -> io::Result<Box<dyn BufRead + 'r>> {
    let head = reader.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Reads every event of `reader`, handing each to `visit` with the line it starts on.
/// I/O errors end reading; malformed values are counted in the returned stats.
pub fn read_events<R: BufRead>(mut reader: R, mut visit: impl FnMut(u64, &Event)) -> io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let mut buffer = Vec::with_capacity(1 << 16);
    let mut line_number = 0u64;
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            return Ok(stats);
        }
        line_number += 1;
        let start_line = line_number;
        let line = trim(&buffer);
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Event>(line) {
            Ok(event) if event.kind.as_deref() != Some("EventList") => {
                match event.shape_error() {
                    None => {
                        stats.events += 1;
                        visit(start_line, &event);
                    }
                    Some(reason) => stats.malformed(start_line, format!("not an audit event: {reason}")),
                }
                continue;
            }
            Ok(_) => {}
            Err(err) if err.is_eof() => {
                // A value spread over several lines (a pretty-printed event or array).
                let complete = read_rest_of_value(&mut reader, &mut buffer, &mut line_number)?;
                if !complete {
                    stats.malformed(start_line, format!("incomplete JSON value: {err}"));
                    continue;
                }
            }
            Err(_) => {}
        }
        read_values(trim(&buffer), start_line, &mut stats, &mut visit);
    }
}

/// Appends lines to `buffer` until it holds a complete JSON value; `false` when the stream (or
/// the size limit) ends first.
fn read_rest_of_value<R: BufRead>(reader: &mut R, buffer: &mut Vec<u8>, line_number: &mut u64) -> io::Result<bool> {
    loop {
        if buffer.len() > MAX_MULTILINE_BYTES || reader.read_until(b'\n', buffer)? == 0 {
            return Ok(false);
        }
        *line_number += 1;
        let mut values = serde_json::Deserializer::from_slice(trim(buffer)).into_iter::<serde::de::IgnoredAny>();
        let incomplete = values.any(|v| v.is_err_and(|e| e.is_eof()));
        if !incomplete {
            return Ok(true);
        }
    }
}

/// The general path: one or more JSON values (concatenated objects, an array of events, an
/// `EventList`), each event checked and visited.
fn read_values(text: &[u8], line: u64, stats: &mut ReadStats, visit: &mut impl FnMut(u64, &Event)) {
    for value in serde_json::Deserializer::from_slice(text).into_iter::<Value>() {
        let value = match value {
            Ok(value) => value,
            Err(err) => {
                stats.malformed(line + err.line() as u64 - 1, format!("invalid JSON: {err}"));
                return;
            }
        };
        let items = match &value {
            Value::Array(items) => items.as_slice(),
            Value::Object(map) if map.get("kind").and_then(Value::as_str) == Some("EventList") => map
                .get("items")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default(),
            _ => std::slice::from_ref(&value),
        };
        for item in items {
            match Event::deserialize(item) {
                Ok(event) => match event.shape_error() {
                    None => {
                        stats.events += 1;
                        visit(line, &event);
                    }
                    Some(reason) => stats.malformed(line, format!("not an audit event: {reason}")),
                },
                Err(err) => stats.malformed(line, format!("not an audit event: {err}")),
            }
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// A reader that counts the bytes read through it (for progress reporting).
pub struct Counting<R> {
    inner: R,
    on_read: Box<dyn FnMut(usize)>,
}

impl<R> Counting<R> {
    pub fn new(inner: R, on_read: impl FnMut(usize) + 'static) -> Self {
        Counting {
            inner,
            on_read: Box::new(on_read),
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_read)(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<(u64, String)>, ReadStats) {
        let mut seen = Vec::new();
        let stats = read_events(text.as_bytes(), |line, event| {
            seen.push((line, event.verb.as_deref().unwrap_or_default().to_owned()))
        })
        .unwrap();
        (seen, stats)
    }

    const GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"get","user":{"username":"bob"}}"#;

    #[test]
    fn json_lines_with_malformed_lines_counted_by_line_number() {
        let text = format!("{GET}\n{{\"kind\": 0}}\nnot json\n\n{GET}\n{{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}}\n");
        let (seen, stats) = read(&text);
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(stats.events, 2);
        assert_eq!(stats.malformed_count, 3);
        assert_eq!(stats.malformed.iter().map(|m| m.line).collect::<Vec<_>>(), [2, 3, 6]);
        assert!(
            stats.malformed[2].message.contains("\"v1\""),
            "{:?}",
            stats.malformed[2]
        );
    }

    #[test]
    fn events_without_api_version_need_a_verb_and_a_user() {
        let (seen, stats) = read(
            "{\"kind\":\"Event\",\"verb\":\"list\",\"user\":{\"username\":\"a\"}}\n{\"kind\":\"Event\",\"verb\":\"list\"}\n",
        );
        assert_eq!(seen, [(1, "list".to_owned())]);
        assert_eq!(stats.malformed[0].message, "not an audit event: no user.username");
    }

    #[test]
    fn pretty_printed_values_arrays_event_lists_and_concatenated_objects() {
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(GET).unwrap()).unwrap();
        let text =
            format!("{pretty}\n[{GET},{GET}]\n{{\"kind\":\"EventList\",\"items\":[{GET}]}}\n{GET}{GET}\n{GET}\n");
        let (seen, stats) = read(&text);
        let lines: Vec<u64> = seen.iter().map(|s| s.0).collect();
        let pretty_lines = pretty.lines().count() as u64;
        let after = pretty_lines + 1;
        assert_eq!(
            lines,
            [1, after, after, after + 1, after + 2, after + 2, after + 3],
            "{stats:?}"
        );
        assert_eq!(stats.malformed_count, 0);
    }

    #[test]
    fn truncated_value_at_end_is_malformed_not_fatal() {
        let (seen, stats) = read(&format!("{GET}\n{{\"kind\":\"Event\",\n\"verb\":"));
        assert_eq!(seen.len(), 1);
        assert_eq!(stats.malformed[0].line, 2);
    }

    #[test]
    fn gzip_is_detected_by_content() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(format!("{GET}\n{GET}\n").as_bytes()).unwrap();
        let compressed = encoder.finish().unwrap();
        let mut count = 0;
        let stats = read_events(decompress(compressed.as_slice()).unwrap(), |_, _| count += 1).unwrap();
        assert_eq!((count, stats.events), (2, 2));
    }
}
