//! Finding the audit logs behind the paths given on the command line: files, directories and
//! rotated sets, in the order their events were written. The only module of the crate that
//! touches the file system; reading the streams is [`crate::reader`]'s.

use std::cmp::Ordering;
use std::io;
use std::path::{Path, PathBuf};

/// One log to read: a file, or standard input for `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSource {
    Stdin,
    File(PathBuf),
}

impl LogSource {
    pub fn display_name(&self) -> String {
        match self {
            LogSource::Stdin => "<stdin>".to_owned(),
            LogSource::File(path) => path.display().to_string(),
        }
    }
}

/// The logs under `paths`, in order: a directory's files (recursively) sorted so that a
/// rotated set reads oldest first — `audit.log.3.gz`, `audit.log.2.gz`, `audit.log.1`, then
/// `audit.log` — and timestamped backups (`audit-2024-05-01T10-00-00.000.log.gz`) by name,
/// before the live file.
pub fn discover(paths: &[String]) -> Vec<Result<LogSource, (String, io::Error)>> {
    let mut out = Vec::new();
    for path in paths {
        if path == "-" {
            out.push(Ok(LogSource::Stdin));
            continue;
        }
        let path = Path::new(path);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                if let Err(err) = walk(path, &mut files) {
                    out.push(Err((path.display().to_string(), err)));
                }
                files.sort_by(|a, b| rotation_order(a, b));
                out.extend(files.into_iter().map(|f| Ok(LogSource::File(f))));
            }
            Ok(_) => out.push(Ok(LogSource::File(path.to_owned()))),
            Err(err) => out.push(Err((path.display().to_string(), err))),
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, files)?;
        } else if is_log_name(&entry.file_name().to_string_lossy()) {
            files.push(path);
        }
    }
    Ok(())
}

/// In a directory: every file but hidden ones and YAML (audit `Policy` files often sit beside
/// the logs). A YAML file named on the command line is still read.
fn is_log_name(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with(".yaml") && !name.ends_with(".yml")
}

/// `(base name, rotation number)`: `audit.log.2.gz` → (`audit.log`, 2); the live file is 0.
fn rotation(path: &Path) -> (String, u32) {
    let name = path.to_string_lossy();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    match name.rsplit_once('.') {
        Some((base, number)) if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
            (base.to_owned(), number.parse().unwrap_or(u32::MAX))
        }
        _ => (name.to_owned(), 0),
    }
}

fn rotation_order(a: &Path, b: &Path) -> Ordering {
    let (base_a, n_a) = rotation(a);
    let (base_b, n_b) = rotation(b);
    // Within a set, the higher number is older: it comes first.
    base_a.cmp(&base_b).then(n_b.cmp(&n_a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_sets_read_oldest_first() {
        let dir = std::env::temp_dir().join(format!("tailor-audit-discover-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in [
            "audit.log",
            "audit.log.1",
            "audit.log.10.gz",
            "audit.log.2.gz",
            "sub/other.json",
            ".hidden",
            "policy.yaml",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let found: Vec<String> = discover(&[dir.display().to_string()])
            .into_iter()
            .map(|s| match s.unwrap() {
                LogSource::File(p) => p.strip_prefix(&dir).unwrap().display().to_string(),
                LogSource::Stdin => unreachable!(),
            })
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            found,
            [
                "audit.log.10.gz",
                "audit.log.2.gz",
                "audit.log.1",
                "audit.log",
                "sub/other.json"
            ]
        );
    }
}
