//! The supervisor's dashboard rules: which child jurisdiction a site counts under,
//! and how long an open anomaly has waited.

use chrono::Duration;

/// The code of the child of `root` that `path` lies in (a `/`-separated path of
/// codes); `root`'s own code when the path is the root itself; the top-level code
/// when there is no root (everything). `None` when `path` is outside `root`.
pub fn child_under<'a>(root: Option<&str>, path: &'a str) -> Option<&'a str> {
    let rest = match root {
        None => path,
        Some(root) if path == root => return path.rsplit('/').next(),
        Some(root) => path.strip_prefix(root)?.strip_prefix('/')?,
    };
    rest.split('/').next().filter(|c| !c.is_empty())
}

/// The ages (in days) that split open anomalies into the dashboard's buckets:
/// under 1 day, 1 to 3, 3 to 7, and 7 or more. A bound belongs to the older bucket.
pub const REVIEW_AGE_BOUNDS: [Duration; 3] =
    [Duration::days(1), Duration::days(3), Duration::days(7)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_counts_under_the_child_of_the_scope_it_lies_in() {
        let city = Some("350000/350800");
        assert_eq!(child_under(city, "350000/350800/350881"), Some("350881"));
        assert_eq!(
            child_under(city, "350000/350800/350881/350881101"),
            Some("350881")
        );
        assert_eq!(child_under(city, "350000/350800"), Some("350800"));
        assert_eq!(child_under(city, "350000/350500/350503"), None);
        assert_eq!(child_under(city, "350000/3508001"), None);
        assert_eq!(child_under(None, "350000/350800"), Some("350000"));
    }
}
