//! "Did you mean ...?": the closest known name to a mistyped one.

/// Levenshtein distance over chars (two rows; names are short).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The candidate closest to `name`, if close enough to be a plausible typo (at most half the
/// longer name's length in edits); ties go to the first candidate.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let plausible = |c: &str, d: usize| d <= name.chars().count().max(c.chars().count()) / 2;
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| plausible(c, *d))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("dashboard", "dashboard"), 0);
        assert_eq!(edit_distance("dashbord", "dashboard"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn suggests_the_closest_plausible_name_only() {
        let names = ["email", "email.order_shipped", "webhook"];
        assert_eq!(closest("emial", names), Some("email"));
        assert_eq!(
            closest("email.order_shiped", names),
            Some("email.order_shipped")
        );
        assert_eq!(closest("retry", ["retries", "timeout"]), Some("retries"));
        assert_eq!(closest("sms", names), None, "nothing close");
    }
}
