//! Source fixes applied before a file reaches the `sqllogictest` parser.
//!
//! The SQLite corpus writes comments after condition lines (`skipif mysql # not
//! compatible`) and guards `halt` with conditions (`onlyif mssql` / `halt` = "stop here on
//! MS SQL Server"). The `sqllogictest` crate rejects the first and treats every `halt` as
//! unconditional (leaving its condition attached to the next record), so both are
//! resolved here, at the text level, for the run's engine labels:
//!
//! - `skipif X # comment` → `skipif X`;
//! - conditions directly followed by `halt`: if they select this engine the file is cut
//!   there, otherwise the conditions and the `halt` line are dropped.
//!
//! Line numbers are kept: a dropped line becomes a `#` comment line (not an empty line,
//! which would end a record).

/// Rewrites `source` for a run whose engine answers to `labels`.
pub fn preprocess(source: &str, labels: &[&str]) -> String {
    let mut out: Vec<String> = Vec::new();
    // Indices in `out` of the condition lines seen since the last other line.
    let mut pending: Vec<(usize, bool)> = Vec::new();
    for line in source.lines() {
        let trimmed = strip_condition_comment(line);
        if let Some(skip) = condition_skips(&trimmed, labels) {
            pending.push((out.len(), skip));
            out.push(trimmed);
            continue;
        }
        if trimmed.trim() == "halt" {
            let applies = !pending.iter().any(|&(_, skip)| skip);
            if applies {
                for &(i, _) in &pending {
                    out[i] = "#".to_string();
                }
                out.push("# halt".to_string());
                break;
            }
            for &(i, _) in &pending {
                out[i] = "#".to_string();
            }
            out.push("#".to_string());
            pending.clear();
            continue;
        }
        pending.clear();
        out.push(trimmed);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// `skipif X # why` → `skipif X`; other lines unchanged.
fn strip_condition_comment(line: &str) -> String {
    let t = line.trim_start();
    if t.starts_with("skipif") || t.starts_with("onlyif") {
        let head = t.split('#').next().unwrap_or(t);
        head.trim_end().to_string()
    } else {
        line.to_string()
    }
}

/// For a condition line: `Some(true)` when it skips the next record for these labels,
/// `Some(false)` when it lets it run; `None` for other lines.
fn condition_skips(line: &str, labels: &[&str]) -> Option<bool> {
    let mut words = line.split_whitespace();
    let kind = words.next()?;
    let label = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let has = labels.contains(&label);
    match kind {
        "skipif" => Some(has),
        "onlyif" => Some(!has),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_comments_on_conditions_only() {
        let src = "skipif mysql # not compatible\nquery I\nSELECT 1 # not a comment\n";
        let out = preprocess(src, &["postgresql"]);
        assert_eq!(out, "skipif mysql\nquery I\nSELECT 1 # not a comment\n");
    }

    #[test]
    fn halt_for_another_engine_is_dropped() {
        let src = "onlyif mssql\nhalt\n\nstatement ok\nSELECT 1\n";
        let out = preprocess(src, &["postgresql"]);
        assert_eq!(out, "#\n#\n\nstatement ok\nSELECT 1\n");
    }

    #[test]
    fn halt_for_this_engine_cuts_the_file() {
        let src = "statement ok\nSELECT 1\n\nonlyif postgresql\nhalt\n\nstatement ok\nSELECT 2\n";
        let out = preprocess(src, &["postgresql"]);
        assert!(out.contains("SELECT 1"));
        assert!(!out.contains("SELECT 2"));
        let src = "skipif sqlite\nhalt\nstatement ok\nSELECT 2\n";
        assert!(!preprocess(src, &["postgresql"]).contains("SELECT 2"));
    }

    #[test]
    fn unconditional_halt_cuts_the_file() {
        let out = preprocess("statement ok\nSELECT 1\n\nhalt\nstatement ok\nSELECT 2\n", &[]);
        assert!(!out.contains("SELECT 2"));
    }
}
