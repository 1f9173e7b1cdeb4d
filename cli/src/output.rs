//! Where output goes: stdout, or a file created with mode 0600 (reports reveal a cluster's
//! layout, so they are treated as sensitive).

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;

pub fn write(output_file: Option<&Path>, text: &str) -> anyhow::Result<()> {
    write_with(output_file, |out| out.write_all(text.as_bytes()))
}

/// Runs `render` on a buffered writer to stdout or to `output_file` (mode 0600), so a large
/// report streams out instead of being built in memory first.
pub fn write_with(
    output_file: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    match output_file {
        None => {
            let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            // A closed pipe (`tailor check … | head`) is not an error worth reporting.
            match render(&mut stdout).and_then(|()| stdout.flush()) {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to stdout"),
            }
        }
        Some(path) => {
            let file = create_private(path).with_context(|| format!("creating {}", path.display()))?;
            let mut out = io::BufWriter::new(file);
            render(&mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", path.display()))
        }
    }
}

/// Creates (or truncates) `path` readable and writable by its owner only.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // An existing file keeps its mode on open: tighten it explicitly.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color(output_file: Option<&Path>) -> bool {
    output_file.is_none() && stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
