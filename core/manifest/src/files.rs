//! Finding and reading manifest files: the only part of this crate that does I/O.
//!
//! Input paths are expanded as kubectl's `-f PATH -R` does: a file is taken whatever its
//! name, a directory is searched recursively for `*.yaml`, `*.yml` and `*.json`, and `-` is
//! standard input. Directory contents come in sorted order so runs are reproducible; hidden
//! entries (`.git`, `.github`, `.pre-commit-config.yaml`, …) and symbolic links to
//! directories (which could loop) are skipped.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a manifest comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The name to show in messages: the path as given (joined with what was found under a
    /// directory), or `-` for standard input.
    pub fn display_name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File(path) => path.display().to_string(),
        }
    }

    /// Reads the whole input as text.
    pub fn read(&self) -> Result<String, FileError> {
        let bytes = match self {
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
            }
            Input::File(path) => std::fs::read(path),
        }
        .map_err(|source| FileError::Io {
            path: self.display_name(),
            source,
        })?;
        decode_text(bytes).map_err(|(line, column, message)| FileError::Encoding {
            path: self.display_name(),
            line,
            column,
            message,
        })
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// A path that could not be expanded or read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Encoding {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },
}

impl FileError {
    /// The path the error is about.
    pub fn path(&self) -> &str {
        match self {
            FileError::Io { path, .. } | FileError::Encoding { path, .. } => path,
        }
    }

    /// Line and column, for encoding errors (0 otherwise).
    pub fn position(&self) -> (u32, u32) {
        match self {
            FileError::Io { .. } => (0, 0),
            FileError::Encoding { line, column, .. } => (*line, *column),
        }
    }
}

/// Expands input paths into the inputs to read, in order. Paths that do not exist or cannot
/// be listed are returned as errors next to the inputs that could be found, so one bad path
/// does not stop the others. `-` given several times is read once.
pub fn expand<S: AsRef<str>>(paths: &[S]) -> (Vec<Input>, Vec<FileError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let path = path.as_ref();
        if path == "-" {
            if !inputs.contains(&Input::Stdin) {
                inputs.push(Input::Stdin);
            }
            continue;
        }
        let path = Path::new(path);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                walk(path, &mut found, &mut errors);
                found.sort();
                inputs.extend(found.into_iter().map(Input::File));
            }
            Ok(_) => inputs.push(Input::File(path.to_owned())),
            Err(source) => errors.push(FileError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }
    (inputs, errors)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, errors: &mut Vec<FileError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(FileError::Io {
                path: dir.display().to_string(),
                source,
            });
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(source) => {
                errors.push(FileError::Io {
                    path: dir.display().to_string(),
                    source,
                });
                continue;
            }
        };
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            walk(&path, found, errors);
        } else if is_manifest_name(&path) && (file_type.is_file() || path.is_file()) {
            found.push(path);
        }
    }
}

fn is_manifest_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"))
}

/// Turns file bytes into text as libyaml's reader would accept them: UTF-8 (a BOM is kept
/// for the splitter to skip), or UTF-16 with a byte-order mark. The error gives the 1-based
/// line and column of the first invalid byte.
pub fn decode_text(bytes: Vec<u8>) -> Result<String, (u32, u32, String)> {
    if let Some(rest) = bytes
        .strip_prefix(&[0xFF, 0xFE])
        .or_else(|| bytes.strip_prefix(&[0xFE, 0xFF]))
    {
        let little_endian = bytes[0] == 0xFF;
        let units = rest.chunks(2).map(|pair| match (pair, little_endian) {
            ([a, b], true) => u16::from_le_bytes([*a, *b]),
            ([a, b], false) => u16::from_be_bytes([*a, *b]),
            _ => 0xFFFD,
        });
        return char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| (1, 1, "invalid UTF-16".to_owned()));
    }
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let line = valid.matches('\n').count() as u32 + 1;
        let column = valid.rsplit('\n').next().unwrap_or_default().chars().count() as u32 + 1;
        (line, column, "invalid UTF-8".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_expand_sorted_without_hidden_entries() {
        let dir = std::env::temp_dir().join(format!("tailor-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in [
            "b.yaml",
            "a.yml",
            "c.json",
            "notes.txt",
            ".hidden.yaml",
            "sub/z.yaml",
            ".git/x.yaml",
        ] {
            let path = dir.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "a: 1\n").unwrap();
        }
        let missing = dir.join("missing.yaml");
        let args = [
            dir.display().to_string(),
            "-".into(),
            missing.display().to_string(),
            "-".into(),
        ];
        let (inputs, errors) = expand(&args);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| {
                i.display_name()
                    .trim_start_matches(&dir.display().to_string())
                    .to_owned()
            })
            .collect();
        assert_eq!(names, ["/a.yml", "/b.yaml", "/c.json", "/sub/z.yaml", "-"]);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().starts_with(&missing.display().to_string()),
            "{}",
            errors[0]
        );
        assert_eq!(errors[0].path(), missing.display().to_string());
        // A file named explicitly is read whatever its name.
        let (inputs, _) = expand(&[dir.join("notes.txt").display().to_string()]);
        assert_eq!(inputs[0].read().unwrap(), "a: 1\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn encodings() {
        assert_eq!(decode_text(b"a: 1\n".to_vec()), Ok("a: 1\n".into()));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a: é".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode_text(utf16), Ok("a: é".into()));
        let err = decode_text(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!((err.0, err.1), (2, 4));
    }
}
