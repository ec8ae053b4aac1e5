//! Committed pass counts that may only go up.
//!
//! A baseline file has one line per test file and engine:
//!
//! ```text
//! # comment
//! query/select.slt@memory 41/45
//! ```
//!
//! `key passed/total`. A run fails when a file passes fewer records than its baseline;
//! more is reported so the baseline can be raised. With `HELIOS_UPDATE_BASELINE=1` the
//! file is rewritten from the run instead (keeping entries the run did not touch).

use std::collections::BTreeMap;
use std::path::Path;

/// Pass counts by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// `key → (passed, total)`.
    pub entries: BTreeMap<String, (usize, usize)>,
}

/// How a run compares with the baseline.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Keys that pass fewer records than the baseline: `(key, baseline, now)`.
    pub regressions: Vec<(String, usize, usize)>,
    /// Keys that pass more: `(key, baseline, now)`.
    pub improvements: Vec<(String, usize, usize)>,
    /// Keys that ran but have no baseline entry.
    pub new_keys: Vec<String>,
}

impl Baseline {
    /// Reads a baseline; a missing file is an empty baseline.
    pub fn load(path: &Path) -> std::io::Result<Baseline> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Baseline::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Baseline::default()),
            Err(e) => Err(e),
        }
    }

    /// Parses baseline text; malformed lines are ignored.
    pub fn parse(text: &str) -> Baseline {
        let mut entries = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, counts)) = line.rsplit_once(' ') else { continue };
            let Some((p, t)) = counts.split_once('/') else { continue };
            if let (Ok(p), Ok(t)) = (p.parse(), t.parse()) {
                entries.insert(key.trim().to_string(), (p, t));
            }
        }
        Baseline { entries }
    }

    /// Writes the baseline with a header comment.
    pub fn save(&self, path: &Path, header: &str) -> std::io::Result<()> {
        let mut text = String::new();
        for line in header.lines() {
            text.push_str("# ");
            text.push_str(line);
            text.push('\n');
        }
        for (key, (p, t)) in &self.entries {
            text.push_str(&format!("{key} {p}/{t}\n"));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)
    }

    /// Compares a run's `key → (passed, total)` with this baseline.
    pub fn compare(&self, run: &BTreeMap<String, (usize, usize)>) -> Comparison {
        let mut c = Comparison::default();
        for (key, &(passed, _)) in run {
            match self.entries.get(key) {
                Some(&(base, _)) if passed < base => {
                    c.regressions.push((key.clone(), base, passed))
                }
                Some(&(base, _)) if passed > base => {
                    c.improvements.push((key.clone(), base, passed))
                }
                Some(_) => {}
                None => c.new_keys.push(key.clone()),
            }
        }
        c
    }

    /// This baseline with the run's entries put in (others kept).
    pub fn updated_with(&self, run: &BTreeMap<String, (usize, usize)>) -> Baseline {
        let mut entries = self.entries.clone();
        entries.extend(run.iter().map(|(k, v)| (k.clone(), *v)));
        Baseline { entries }
    }
}

/// Whether `HELIOS_UPDATE_BASELINE=1` asks to rewrite baselines.
pub fn update_requested() -> bool {
    std::env::var("HELIOS_UPDATE_BASELINE").is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_compare_and_update() {
        let base = Baseline::parse("# header\na.slt@memory 3/5\nb.slt@memory 2/2\nbad line\n");
        assert_eq!(base.entries.len(), 2);
        let run: BTreeMap<String, (usize, usize)> = [
            ("a.slt@memory".to_string(), (2, 5)),
            ("b.slt@memory".to_string(), (2, 2)),
            ("c.slt@memory".to_string(), (1, 1)),
        ]
        .into_iter()
        .collect();
        let c = base.compare(&run);
        assert_eq!(c.regressions, vec![("a.slt@memory".to_string(), 3, 2)]);
        assert!(c.improvements.is_empty());
        assert_eq!(c.new_keys, vec!["c.slt@memory".to_string()]);
        let up = base.updated_with(&run);
        assert_eq!(up.entries.get("a.slt@memory"), Some(&(2, 5)));
        assert_eq!(up.entries.len(), 3);
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("helios-baseline-{}", std::process::id()));
        let path = dir.join("b.txt");
        let mut b = Baseline::default();
        b.entries.insert("x/y.slt@disk".into(), (4, 9));
        b.save(&path, "test header").expect("save");
        assert_eq!(Baseline::load(&path).expect("load"), b);
        let _ = std::fs::remove_dir_all(dir);
    }
}
