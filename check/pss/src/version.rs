//! Pod Security policy versions: `latest` or `v1.<minor>`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `v1.<minor>`.
    V1(u32),
    /// Newer than every numbered version, including future ones.
    Latest,
}

/// The newest policy version this library knows: `latest`, and any newer `v1.N`, evaluate as it.
pub const MAX_VERSION: Version = Version::V1(37);

impl Version {
    /// The numbered version whose rules apply: `latest` and versions above [`MAX_VERSION`]
    /// are capped to it.
    pub fn policy(self) -> Version {
        if self > MAX_VERSION {
            MAX_VERSION
        } else {
            self
        }
    }

    /// The minor number of the applied policy version.
    pub fn minor(self) -> u32 {
        match self.policy() {
            Version::V1(minor) => minor,
            Version::Latest => unreachable!("policy() always returns a numbered version"),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::Latest, Version::Latest) => Ordering::Equal,
            (Version::Latest, _) => Ordering::Greater,
            (_, Version::Latest) => Ordering::Less,
            (Version::V1(a), Version::V1(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Latest => f.write_str("latest"),
            Version::V1(minor) => write!(f, "v1.{minor}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseVersionError;

impl fmt::Display for ParseVersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be \"latest\" or \"v1.x\"")
    }
}

impl std::error::Error for ParseVersionError {}

impl FromStr for Version {
    type Err = ParseVersionError;

    /// `latest`, or `v1.` followed by a minor without leading zeros (`^v1\.(0|[1-9][0-9]*)$`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let minor = s.strip_prefix("v1.").ok_or(ParseVersionError)?;
        let well_formed =
            !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) && (minor == "0" || !minor.starts_with('0'));
        if !well_formed {
            return Err(ParseVersionError);
        }
        minor.parse::<u32>().map(Version::V1).map_err(|_| ParseVersionError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_reference_syntax_only() {
        for ok in ["latest", "v1.0", "v1.25", "v1.10000"] {
            assert!(ok.parse::<Version>().is_ok(), "{ok}");
        }
        for bad in [
            "1.25",
            "v1.025",
            "v2.0",
            "v1",
            "V1.25",
            "v1.25.0",
            "",
            "v1.",
            "v1.99999999999999999999",
        ] {
            assert_eq!(bad.parse::<Version>(), Err(ParseVersionError), "{bad}");
        }
    }

    #[test]
    fn latest_and_future_versions_apply_the_newest_policy() {
        assert_eq!(Version::Latest.policy(), MAX_VERSION);
        assert_eq!(Version::V1(10000).policy(), MAX_VERSION);
        assert_eq!(Version::V1(25).policy(), Version::V1(25));
        assert_eq!(Version::V1(10000).to_string(), "v1.10000");
    }
}
