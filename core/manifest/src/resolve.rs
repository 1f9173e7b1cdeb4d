//! Plain-scalar resolution exactly as kubectl gets it: go-yaml v2's `resolve.go` (YAML 1.1
//! rules: `yes`/`on`/`y` are booleans, `0644` is octal, `1_000` is 1000, …), decoded into
//! `interface{}`, then turned into JSON by `sigs.k8s.io/yaml` (`YAMLToJSON`).
//!
//! The Go semantics that matter and are reproduced here:
//! - integers go through `strconv.ParseInt(s, 0, 64)` (prefixes `0x`, `0o`, `0b`, a leading
//!   `0` for octal, an optional sign) with underscores removed first, then `ParseUint`;
//! - floats must match go-yaml's `yamlStyleFloat` regex (or start with `.`), and overflowing
//!   ones (`1e400`) stay strings because `ParseFloat` reports a range error;
//! - timestamps stay the original string (go-yaml v2 keeps them as strings for `interface{}`);
//! - a float is sent on as the number `encoding/json` prints for it, so `1e3` and `1.0` reach
//!   the API server as the integers `1000` and `1`; NaN and infinities cannot be printed and
//!   make the whole document fail, as they do in kubectl;
//! - mapping keys become strings the way `convertToJSONableObject` does it: ints in decimal,
//!   bools as `true`/`false`, floats with `FormatFloat(f, 'g', -1, 32)`; null and uint64 keys
//!   are errors.

use serde_json::{Number, Value};

pub(crate) const TAG_STR: &str = "tag:yaml.org,2002:str";
pub(crate) const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
pub(crate) const TAG_INT: &str = "tag:yaml.org,2002:int";
pub(crate) const TAG_FLOAT: &str = "tag:yaml.org,2002:float";
pub(crate) const TAG_NULL: &str = "tag:yaml.org,2002:null";
pub(crate) const TAG_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
pub(crate) const TAG_BINARY: &str = "tag:yaml.org,2002:binary";
pub(crate) const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

/// A scalar after resolution, before it becomes a JSON value or key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// The scalar's own text (strings, timestamps, unknown tags).
    Str,
    /// `!!binary`: the base64-decoded bytes, as Go turns them into a string.
    Binary(String),
}

/// Resolves a scalar node. `tag` is the full tag from the parser (`None` when absent), `plain`
/// is libyaml's `plain_implicit` (true for untagged plain scalars and for the `!` tag).
pub(crate) fn resolve_scalar(tag: Option<&str>, value: &str, plain: bool) -> Result<Resolved, String> {
    match tag {
        // Quoted and block scalars without a tag are strings, whatever they look like.
        None if !plain => Ok(Resolved::Str),
        None => Ok(resolve_plain(value)),
        Some(TAG_BINARY) => decode_base64(value)
            .map(|bytes| Resolved::Binary(String::from_utf8_lossy(&bytes).into_owned()))
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_owned()),
        Some(tag) if is_resolvable(tag) => resolve_tagged(tag, value),
        // `!`, local tags (`!foo`) and other global tags: the text is kept as a string.
        Some(_) => Ok(Resolved::Str),
    }
}

fn is_resolvable(tag: &str) -> bool {
    matches!(tag, TAG_STR | TAG_BOOL | TAG_INT | TAG_FLOAT | TAG_NULL | TAG_TIMESTAMP)
}

fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_owned(),
    }
}

/// An explicitly tagged scalar: resolved as if plain, then checked against the tag (go-yaml's
/// deferred check in `resolve`). `!!float` accepts integers and turns them into floats.
fn resolve_tagged(tag: &str, value: &str) -> Result<Resolved, String> {
    if tag == TAG_STR {
        return Ok(Resolved::Str);
    }
    let resolved = resolve_plain(value);
    let rtag = match &resolved {
        Resolved::Null => TAG_NULL,
        Resolved::Bool(_) => TAG_BOOL,
        Resolved::Int(_) | Resolved::Uint(_) => TAG_INT,
        Resolved::Float(_) => TAG_FLOAT,
        Resolved::Str if tag == TAG_TIMESTAMP && is_timestamp(value) => TAG_TIMESTAMP,
        Resolved::Str | Resolved::Binary(_) => TAG_STR,
    };
    if rtag == tag {
        return Ok(resolved);
    }
    match (tag, resolved) {
        (TAG_FLOAT, Resolved::Int(i)) => Ok(Resolved::Float(i as f64)),
        // go-yaml only converts `int` and `int64`; a uint64 under `!!float` is an error.
        _ => Err(format!(
            "cannot decode {} `{value}` as a {}",
            short_tag(rtag),
            short_tag(tag)
        )),
    }
}

/// An untagged plain scalar.
pub(crate) fn resolve_plain(value: &str) -> Resolved {
    let Some(&first) = value.as_bytes().first() else {
        return Resolved::Null;
    };
    // go-yaml's `resolveTable`: only these first bytes can start a non-string.
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            resolve_word(value).unwrap_or(Resolved::Str)
        }
        b'.' => resolve_word(value)
            .or_else(|| go_parse_float(value).map(Resolved::Float))
            .unwrap_or(Resolved::Str),
        b'+' | b'-' | b'0'..=b'9' => resolve_word(value)
            .or_else(|| resolve_number(value))
            .unwrap_or(Resolved::Str),
        _ => Resolved::Str,
    }
}

/// go-yaml's `resolveMap`: the YAML 1.1 booleans, nulls and special floats.
fn resolve_word(value: &str) -> Option<Resolved> {
    Some(match value {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Resolved::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Resolved::Bool(false),
        "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// The `'D'`/`'S'` branch of go-yaml's `resolve`: int, then uint, then float, then `0b`.
/// (A timestamp also resolves to its own text, so it needs no case here.)
fn resolve_number(value: &str) -> Option<Resolved> {
    let plain: std::borrow::Cow<str> = if value.contains('_') {
        value.replace('_', "").into()
    } else {
        value.into()
    };
    if let Ok(i) = go_parse_int(&plain) {
        return Some(Resolved::Int(i));
    }
    if let Ok(u) = go_parse_uint(&plain) {
        return Some(Resolved::Uint(u));
    }
    if is_yaml_style_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            // Go's ParseFloat reports overflow as an error, so the scalar stays a string.
            if f.is_finite() {
                return Some(Resolved::Float(f));
            }
        }
    }
    // Reached only when ParseInt failed on these, i.e. never in practice (ParseInt with base
    // 0 already reads `0b…` and `-0b…`), but kept for fidelity with go-yaml.
    if let Some(bits) = plain.strip_prefix("0b") {
        if let Ok(i) = i64::from_str_radix(bits, 2) {
            return Some(Resolved::Int(i));
        }
        if let Ok(u) = u64::from_str_radix(bits, 2) {
            return Some(Resolved::Uint(u));
        }
    }
    None
}

#[derive(Debug, PartialEq)]
pub(crate) enum IntError {
    Syntax,
    Range,
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn go_parse_int(s: &str) -> Result<i64, IntError> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(digits)?;
    const LIMIT: u64 = 1 << 63;
    if negative {
        if magnitude > LIMIT {
            return Err(IntError::Range);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        if magnitude >= LIMIT {
            return Err(IntError::Range);
        }
        Ok(magnitude as i64)
    }
}

/// `strconv.ParseUint(s, 0, 64)` (no sign; underscores were removed by the caller, and Go
/// would only accept them between digits anyway).
pub(crate) fn go_parse_uint(s: &str) -> Result<u64, IntError> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err(IntError::Syntax);
    }
    let (base, digits): (u32, &[u8]) = if bytes[0] == b'0' {
        match bytes.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if bytes.len() >= 3 => (2, &bytes[2..]),
            Some(b'o') if bytes.len() >= 3 => (8, &bytes[2..]),
            Some(b'x') if bytes.len() >= 3 => (16, &bytes[2..]),
            _ => (8, &bytes[1..]),
        }
    } else {
        (10, bytes)
    };
    let mut n: u64 = 0;
    for &c in digits {
        if c == b'_' {
            continue;
        }
        let d = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return Err(IntError::Syntax),
        };
        if d >= base {
            return Err(IntError::Syntax);
        }
        n = n
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(IntError::Range)?;
    }
    Ok(n)
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for the scalars go-yaml hands it unfiltered: those starting
/// with `.` (e.g. `.5`, `.5e3`). Go accepts underscores between digits there.
fn go_parse_float(s: &str) -> Option<f64> {
    let cleaned: std::borrow::Cow<str> = if s.contains('_') {
        if !underscores_between_digits(s) {
            return None;
        }
        s.replace('_', "").into()
    } else {
        s.into()
    };
    if !cleaned
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `underscoreOK` for decimal numbers: every `_` sits between two digits.
fn underscores_between_digits(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == b'_'))
    }) && !s.contains("__")
}

/// The timestamp forms go-yaml v2 accepts (`parseTimestamp`): `2006-1-2`, and date-times with
/// `T`/`t` and a zone, or with a space and no zone. Only consulted for an explicit
/// `!!timestamp` tag: untagged timestamps stay strings either way.
pub(crate) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut i = 5;
    let num = |i: &mut usize, max_len: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && *i - start < max_len && b[*i].is_ascii_digit() {
            *i += 1;
        }
        (*i > start).then(|| s[start..*i].parse().unwrap_or(u32::MAX))
    };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = num(&mut i, 2) else { return false };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else { return false };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if day == 0 || day > days {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let with_zone = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return false,
    };
    i += 1;
    let Some(hour) = num(&mut i, 2) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(minute) = num(&mut i, 2) else { return false };
    if b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    let Some(second) = num(&mut i, 2) else { return false };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if num(&mut i, 9).is_none() {
            return false;
        }
    }
    if !with_zone {
        return i == b.len();
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            let zone = &b[i + 1..];
            zone.len() == 5 && zone[2] == b':' && zone.iter().enumerate().all(|(j, c)| j == 2 || c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet; only `\r` and `\n` are
/// skipped.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut quad = [0u8; 4];
    let mut n = 0;
    let mut padding = 0;
    for c in s.bytes() {
        if c == b'\r' || c == b'\n' {
            continue;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' if n >= 2 => {
                padding += 1;
                0
            }
            _ => return None,
        };
        if padding > 0 && c != b'=' {
            return None;
        }
        quad[n] = v;
        n += 1;
        if n == 4 {
            let bytes = [
                quad[0] << 2 | quad[1] >> 4,
                quad[1] << 4 | quad[2] >> 2,
                quad[2] << 6 | quad[3],
            ];
            out.extend_from_slice(&bytes[..3 - padding.min(2)]);
            if padding > 0 {
                // Nothing may follow the padding.
                n = 5;
                continue;
            }
            n = 0;
        } else if n > 4 {
            return None;
        }
    }
    (n == 0 || n == 5).then_some(out)
}

/// The JSON value `encoding/json` would print for a resolved scalar, as the API server then
/// reads it. `text` is the scalar's own text, used for strings.
pub(crate) fn to_json(resolved: Resolved, text: String) -> Result<Value, String> {
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Float(f) => float_to_json(f)?,
        Resolved::Str => Value::String(text),
        Resolved::Binary(s) => Value::String(s),
    })
}

/// `json.Marshal` of a float64, read back as JSON: integral values below 1e21 are printed
/// without a fraction or exponent, so they arrive as integers.
pub(crate) fn float_to_json(f: f64) -> Result<Value, String> {
    if f.is_nan() {
        return Err("json: unsupported value: NaN".to_owned());
    }
    if f.is_infinite() {
        let sign = if f > 0.0 { '+' } else { '-' };
        return Err(format!("json: unsupported value: {sign}Inf"));
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return Ok(Value::Number((f as i64).into()));
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return Ok(Value::Number((f as u64).into()));
        }
    }
    Ok(Number::from_f64(f).map_or(Value::Null, Value::Number))
}

/// The JSON object key for a resolved scalar key (`convertToJSONableObject`).
pub(crate) fn to_key(resolved: Resolved, text: String) -> Result<String, String> {
    Ok(match resolved {
        Resolved::Str => text,
        Resolved::Binary(s) => s,
        Resolved::Bool(b) => b.to_string(),
        Resolved::Int(i) => i.to_string(),
        Resolved::Float(f) => format_float32_g(f),
        Resolved::Uint(_) => {
            return Err(format!(
                "unsupported map key `{text}`: integers above 9223372036854775807 cannot be JSON keys"
            ))
        }
        Resolved::Null => return Err(format!("unsupported map key `{text}`: a null key cannot be a JSON key")),
    })
}

/// `strconv.FormatFloat(f, 'g', -1, 32)` with go-yaml's spelling of infinities and NaN.
fn format_float32_g(f: f64) -> String {
    let f = f as f32;
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, as Go's `-1` precision does.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    // Go's %g with the shortest precision switches to %e below 1e-4 and from 1e6 on.
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            out.push('0');
        }
        out.push_str(&abs.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_int_is_go_strconv_with_base_0() {
        assert_eq!(go_parse_int("0644"), Ok(420));
        assert_eq!(go_parse_int("0"), Ok(0));
        assert_eq!(go_parse_int("00"), Ok(0));
        assert_eq!(go_parse_int("-0x10"), Ok(-16));
        assert_eq!(go_parse_int("+0b11"), Ok(3));
        assert_eq!(go_parse_int("0O17"), Ok(15));
        assert_eq!(go_parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(go_parse_int("9223372036854775808"), Err(IntError::Range));
        assert_eq!(go_parse_int("08"), Err(IntError::Syntax));
        assert_eq!(go_parse_int("0x"), Err(IntError::Syntax));
        assert_eq!(go_parse_int(""), Err(IntError::Syntax));
        assert_eq!(go_parse_int("--1"), Err(IntError::Syntax));
        assert_eq!(go_parse_uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(go_parse_uint("18446744073709551616"), Err(IntError::Range));
        assert_eq!(go_parse_uint("-1"), Err(IntError::Syntax));
    }

    #[test]
    fn yaml_style_float_regex() {
        for yes in ["1", "1.", "1.5", ".5", "-.5", "+1e3", "1E-3", "12.34e+5", "0.0"] {
            assert!(is_yaml_style_float(yes), "{yes}");
        }
        for no in [".", "e3", "1e", "1.5.6", "1e3.5", "0x1p3", "inf", "1_0", "--1", ""] {
            assert!(!is_yaml_style_float(no), "{no}");
        }
    }

    #[test]
    fn plain_resolution() {
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
        assert_eq!(resolve_plain(""), Resolved::Null);
        assert_eq!(resolve_plain("0644"), Resolved::Int(420));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("18446744073709551615"), Resolved::Uint(u64::MAX));
        assert_eq!(resolve_plain("09"), Resolved::Float(9.0));
        assert_eq!(resolve_plain("._5"), Resolved::Str);
        assert_eq!(resolve_plain(".5_5"), Resolved::Float(0.55));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain("2001-12-14"), Resolved::Str);
        assert_eq!(resolve_plain("<<"), Resolved::Str);
        assert!(matches!(resolve_plain(".inf"), Resolved::Float(f) if f == f64::INFINITY));
        assert!(matches!(resolve_plain(".NaN"), Resolved::Float(f) if f.is_nan()));
    }

    #[test]
    fn tagged_resolution() {
        let tag = |t: &str, v: &str| resolve_scalar(Some(t), v, false);
        assert_eq!(tag(TAG_STR, "12"), Ok(Resolved::Str));
        assert_eq!(tag(TAG_INT, "0x10"), Ok(Resolved::Int(16)));
        assert_eq!(tag(TAG_FLOAT, "3"), Ok(Resolved::Float(3.0)));
        assert_eq!(tag(TAG_BOOL, "on"), Ok(Resolved::Bool(true)));
        assert_eq!(tag(TAG_NULL, "~"), Ok(Resolved::Null));
        assert_eq!(tag(TAG_TIMESTAMP, "2001-12-14t21:59:43.10-05:00"), Ok(Resolved::Str));
        assert_eq!(tag(TAG_BINARY, "aGk="), Ok(Resolved::Binary("hi".into())));
        assert_eq!(tag("!custom", "12"), Ok(Resolved::Str));
        assert_eq!(tag(TAG_MERGE, "x"), Ok(Resolved::Str));
        assert_eq!(tag(TAG_INT, "x").unwrap_err(), "cannot decode !!str `x` as a !!int");
        assert_eq!(tag(TAG_BOOL, "1").unwrap_err(), "cannot decode !!int `1` as a !!bool");
        assert_eq!(
            tag(TAG_TIMESTAMP, "2001-02-30").unwrap_err(),
            "cannot decode !!str `2001-02-30` as a !!timestamp"
        );
        assert!(tag(TAG_FLOAT, "18446744073709551615").is_err());
        // Untagged quoted scalars are never resolved; the `!` tag keeps plain ones strings.
        assert_eq!(resolve_scalar(None, "yes", false), Ok(Resolved::Str));
        assert_eq!(resolve_scalar(Some("!"), "yes", true), Ok(Resolved::Str));
    }

    #[test]
    fn timestamps_go_yaml_accepts() {
        for yes in [
            "2001-12-14",
            "2001-1-2",
            "2001-12-14T21:59:43Z",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10",
            "2000-02-29",
        ] {
            assert!(is_timestamp(yes), "{yes}");
        }
        for no in [
            "2001-12-14 21:59:43.10 -5",
            "2001-13-01",
            "1900-02-29",
            "01-12-14",
            "2001-12-14T21:59:43",
            "2001-12-14x",
        ] {
            assert!(!is_timestamp(no), "{no}");
        }
    }

    #[test]
    fn base64_like_go_std_encoding() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGVs\nbG8g\r\nd29ybGQ="), Some(b"hello world".to_vec()));
        assert_eq!(decode_base64("aGk"), None, "padding is required");
        assert_eq!(decode_base64("aG k="), None, "spaces are not skipped");
        assert_eq!(decode_base64("aGk=aGk="), None, "nothing after padding");
        assert_eq!(decode_base64(""), Some(Vec::new()));
    }

    #[test]
    fn floats_as_encoding_json_prints_them() {
        assert_eq!(float_to_json(1000.0), Ok(json!(1000)));
        assert_eq!(float_to_json(-0.0), Ok(json!(0)));
        assert_eq!(float_to_json(1e20), Ok(json!(100000000000000000000.0)));
        assert_eq!(float_to_json(1.5), Ok(json!(1.5)));
        assert!(float_to_json(1e21).unwrap().is_f64());
        assert_eq!(
            float_to_json(f64::INFINITY).unwrap_err(),
            "json: unsupported value: +Inf"
        );
        assert_eq!(
            float_to_json(f64::NEG_INFINITY).unwrap_err(),
            "json: unsupported value: -Inf"
        );
        assert_eq!(float_to_json(f64::NAN).unwrap_err(), "json: unsupported value: NaN");
    }

    #[test]
    fn float_keys_use_go_format_float_g_32() {
        let key = |f: f64| format_float32_g(f);
        assert_eq!(key(1.5), "1.5");
        assert_eq!(key(0.1), "0.1");
        assert_eq!(key(1000.0), "1000");
        assert_eq!(key(123456.0), "123456");
        assert_eq!(key(1234567.0), "1.234567e+06");
        assert_eq!(key(1e7), "1e+07");
        assert_eq!(key(123456789.0), "1.2345679e+08");
        assert_eq!(key(0.0001), "0.0001");
        assert_eq!(key(0.00001), "1e-05");
        assert_eq!(key(-2.5e-10), "-2.5e-10");
        assert_eq!(key(1e39), ".inf");
        assert_eq!(key(f64::NAN), ".nan");
        assert_eq!(to_key(Resolved::Float(-0.0), "-0.0".into()), Ok("-0".into()));
        assert!(to_key(Resolved::Uint(u64::MAX), "x".into()).is_err());
        assert!(to_key(Resolved::Null, "~".into()).is_err());
    }
}
