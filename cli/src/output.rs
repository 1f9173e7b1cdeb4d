//! Where output goes: stdout, or a file created with mode 0600 (reports reveal a cluster's
//! layout, so they are treated as sensitive).

use std::fs::OpenOptions;
use std::io::{self, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;

pub fn write(output_file: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output_file {
        None => {
            let mut stdout = io::stdout().lock();
            // A closed pipe (`tailor check … | head`) is not an error worth reporting.
            match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("writing to stdout"),
            }
        }
        Some(path) => {
            let mut options = OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
                options.mode(0o600);
                let mut file = options
                    .open(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                // An existing file keeps its mode on open: tighten it explicitly.
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("setting the mode of {}", path.display()))?;
                file.write_all(text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))
            }
            #[cfg(not(unix))]
            {
                let mut file = options
                    .open(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                file.write_all(text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))
            }
        }
    }
}

pub fn stdout_is_terminal() -> bool {
    io::stdout().is_terminal()
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn use_color(output_file: Option<&Path>) -> bool {
    output_file.is_none() && stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
