//! `tailor check -o html` (in progress).

use std::io::{self, Write};

use tailor_check::Report;

use crate::SourcePaths;

pub fn write(_report: &Report, _paths: &SourcePaths, _out: &mut dyn Write) -> io::Result<()> {
    Err(io::Error::other("-o html is not implemented yet"))
}
