//! Text helpers that rule messages are built from, so that every family words lists alike.

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn plain_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `"a" and "b"`.
pub(crate) fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("\"{i}\"")).collect();
    plain_list(&items)
}

/// At most `shown` items, then how many more: `a, b, c and 2 more`.
pub(crate) fn capped_list(items: &[String], shown: usize) -> String {
    let mut text = items.iter().take(shown).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > shown {
        text.push_str(&format!(" and {} more", items.len() - shown));
    }
    text
}

/// `items` without repetitions, in their first order (several files may define objects of
/// the same kind and name).
pub(crate) fn distinct(mut items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(item.clone()));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|&i| i.to_owned()).collect()
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(plain_list(&[]), "");
        assert_eq!(plain_list(&strings(&["a"])), "a");
        assert_eq!(plain_list(&strings(&["a", "b"])), "a and b");
        assert_eq!(plain_list(&strings(&["a", "b", "c"])), "a, b and c");
        assert_eq!(quoted_list(["a", "b", "c"]), "\"a\", \"b\" and \"c\"");
        assert_eq!(capped_list(&strings(&["a", "b", "c"]), 3), "a, b, c");
        assert_eq!(
            capped_list(&strings(&["a", "b", "c", "d", "e"]), 3),
            "a, b, c and 2 more"
        );
    }
}
