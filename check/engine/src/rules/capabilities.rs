//! Linux capability names as container runtimes read them: in any case, with or without the
//! `CAP_` prefix (Pod Security compares them literally).

/// A capability name as the runtime reads it: upper case, without `CAP_`.
pub(crate) fn canonical(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").map(str::to_owned).unwrap_or(upper)
}
