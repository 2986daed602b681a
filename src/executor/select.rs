//! Which tasks run at all: `--tags`/`--skip-tags` (with `always`, `never`, `tagged`,
//! `untagged`, `all`) and `--start-at-task`. A task not selected does not appear in the output.

/// Ansible's tag evaluation for a task with `tags` under `-t only` and `--skip-tags skip`.
pub(crate) fn tags_selected(tags: &[String], only: &[String], skip: &[String]) -> bool {
    let has = |list: &[String], t: &str| list.iter().any(|x| x == t);
    let untagged = tags.is_empty();
    let task_has = |t: &str| tags.iter().any(|x| x == t);
    let disjoint = |list: &[String]| !tags.iter().any(|t| has(list, t));
    let mut run = true;
    let only_all = only.is_empty() || has(only, "all");
    if !only.is_empty() || task_has("never") {
        run = task_has("always")
            || (only_all && !task_has("never"))
            || !disjoint(only)
            || (has(only, "tagged") && !untagged && !task_has("never"))
            || (has(only, "untagged") && untagged);
    }
    if run && !skip.is_empty() {
        if has(skip, "all") {
            run = task_has("always") && !has(skip, "always");
        } else if !disjoint(skip)
            || (has(skip, "tagged") && !untagged)
            || (has(skip, "untagged") && untagged)
        {
            run = false;
        }
    }
    run
}

/// `--start-at-task NAME`: shell-style `*` wildcards, as Ansible matches it.
pub(crate) fn name_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split(',')
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn tag_table() {
        for (tags, only, skip, want) in [
            ("", "", "", true),
            ("web", "", "", true),
            ("never", "", "", false),
            ("never,debug", "debug", "", true),
            ("web", "db", "", false),
            ("always", "db", "", true),
            ("always", "", "always", false),
            ("web", "", "web", false),
            ("", "tagged", "", false),
            ("web", "tagged", "", true),
            ("", "untagged", "", true),
            ("web", "all", "", true),
            ("web", "", "all", false),
            ("always", "", "all", true),
        ] {
            assert_eq!(
                tags_selected(&v(tags), &v(only), &v(skip)),
                want,
                "{tags} / {only} / {skip}"
            );
        }
    }

    #[test]
    fn start_at() {
        assert!(name_matches("build*", "build docker images"));
        assert!(name_matches(
            "push remote dockerhub",
            "push remote dockerhub"
        ));
        assert!(!name_matches("push", "push remote dockerhub"));
        assert!(name_matches("*images", "build docker images"));
    }
}
