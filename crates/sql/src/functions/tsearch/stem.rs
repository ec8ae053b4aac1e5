//! The English stemmer of the `english` configuration: the Porter2 ("English
//! Snowball") algorithm by Martin Porter, written from its published description.
//!
//! The word is lowercase; the result is its stem (`jumping` → `jump`, `happiness` →
//! `happi`). Only ASCII letters count as vowels and consonants, as in the original.

/// Words that stem to a fixed form (or to themselves) before the steps run.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("skis", "ski"),
    ("skies", "sky"),
    ("dying", "die"),
    ("lying", "lie"),
    ("tying", "tie"),
    ("idly", "idl"),
    ("gently", "gentl"),
    ("ugly", "ugli"),
    ("early", "earli"),
    ("only", "onli"),
    ("singly", "singl"),
    ("sky", "sky"),
    ("news", "news"),
    ("howe", "howe"),
    ("atlas", "atlas"),
    ("cosmos", "cosmos"),
    ("bias", "bias"),
    ("andes", "andes"),
];

/// Words left alone after step 1a.
const EXCEPTIONS_1A: &[&str] =
    &["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"];

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

struct Word {
    w: Vec<char>,
    r1: usize,
    r2: usize,
}

impl Word {
    fn ends(&self, suffix: &str) -> bool {
        let n = suffix.chars().count();
        n <= self.w.len() && self.w[self.w.len() - n..].iter().copied().eq(suffix.chars())
    }

    /// The longest of `suffixes` the word ends with.
    fn longest<'s>(&self, suffixes: &[&'s str]) -> Option<&'s str> {
        suffixes.iter().filter(|s| self.ends(s)).max_by_key(|s| s.len()).copied()
    }

    fn stem_len(&self, suffix: &str) -> usize {
        self.w.len() - suffix.chars().count()
    }

    fn in_r1(&self, suffix: &str) -> bool {
        self.stem_len(suffix) >= self.r1
    }

    fn in_r2(&self, suffix: &str) -> bool {
        self.stem_len(suffix) >= self.r2
    }

    fn replace(&mut self, suffix: &str, with: &str) {
        let keep = self.stem_len(suffix);
        self.w.truncate(keep);
        self.w.extend(with.chars());
    }

    fn is_v(&self, i: usize) -> bool {
        is_vowel(self.w[i])
    }

    /// Whether a short syllable ends at index `end` (exclusive).
    fn short_syllable_before(&self, end: usize) -> bool {
        let w = &self.w;
        if end >= 3 {
            let (a, b, c) = (w[end - 3], w[end - 2], w[end - 1]);
            !is_vowel(a) && is_vowel(b) && !is_vowel(c) && !matches!(c, 'w' | 'x' | 'Y')
        } else if end == 2 {
            is_vowel(w[0]) && !is_vowel(w[1])
        } else {
            false
        }
    }

    fn is_short(&self) -> bool {
        self.r1 >= self.w.len() && self.short_syllable_before(self.w.len())
    }
}

/// The region after the first non-vowel that follows a vowel, from `start`.
fn region_after(w: &[char], start: usize) -> usize {
    let mut i = start;
    while i + 1 < w.len() {
        if is_vowel(w[i]) && !is_vowel(w[i + 1]) {
            return i + 2;
        }
        i += 1;
    }
    w.len()
}

/// Stems a lowercase English word.
pub fn stem(word: &str) -> String {
    if word.chars().count() <= 2 {
        return word.to_string();
    }
    if let Some((_, s)) = EXCEPTIONS.iter().find(|(w, _)| *w == word) {
        return (*s).to_string();
    }
    let mut w: Vec<char> = word.chars().collect();
    if w.first() == Some(&'\'') {
        w.remove(0);
    }
    for i in 0..w.len() {
        if w[i] == 'y' && (i == 0 || is_vowel(w[i - 1])) {
            w[i] = 'Y';
        }
    }
    let prefix_len = ["gener", "commun", "arsen"]
        .iter()
        .find(|p| w.len() >= p.len() && w[..p.len()].iter().copied().eq(p.chars()))
        .map(|p| p.len());
    let r1 = prefix_len.unwrap_or_else(|| region_after(&w, 0));
    let r2 = region_after(&w, r1);
    let mut word = Word { w, r1, r2 };

    // Step 0: possessives.
    if let Some(s) = word.longest(&["'", "'s", "'s'"]) {
        word.replace(s, "");
    }
    // Step 1a: plurals.
    if let Some(s) = word.longest(&["sses", "ied", "ies", "s", "us", "ss"]) {
        match s {
            "sses" => word.replace(s, "ss"),
            "ied" | "ies" => {
                let to = if word.stem_len(s) > 1 { "i" } else { "ie" };
                word.replace(s, to);
            }
            "s" => {
                let stem = word.stem_len(s);
                if stem >= 2 && word.w[..stem - 1].iter().any(|c| is_vowel(*c)) {
                    word.replace(s, "");
                }
            }
            _ => {}
        }
    }
    let text: String = word.w.iter().collect();
    if EXCEPTIONS_1A.contains(&text.as_str()) {
        return text;
    }
    step_1b(&mut word);
    // Step 1c: y after a consonant that is not the first letter.
    if word.w.len() > 2 {
        let n = word.w.len();
        if matches!(word.w[n - 1], 'y' | 'Y') && !word.is_v(n - 2) {
            word.w[n - 1] = 'i';
        }
    }
    step_2(&mut word);
    step_3(&mut word);
    step_4(&mut word);
    step_5(&mut word);
    word.w.iter().map(|c| if *c == 'Y' { 'y' } else { *c }).collect()
}

fn step_1b(word: &mut Word) {
    let Some(s) = word.longest(&["eed", "eedly", "ed", "edly", "ing", "ingly"]) else { return };
    if s == "eed" || s == "eedly" {
        if word.in_r1(s) {
            word.replace(s, "ee");
        }
        return;
    }
    let stem = word.stem_len(s);
    if !word.w[..stem].iter().any(|c| is_vowel(*c)) {
        return;
    }
    word.replace(s, "");
    if word.ends("at") || word.ends("bl") || word.ends("iz") {
        word.w.push('e');
    } else if ["bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"].iter().any(|d| word.ends(d)) {
        word.w.pop();
    } else if word.is_short() {
        word.w.push('e');
    }
}

fn step_2(word: &mut Word) {
    const RULES: &[(&str, &str)] = &[
        ("tional", "tion"),
        ("enci", "ence"),
        ("anci", "ance"),
        ("abli", "able"),
        ("entli", "ent"),
        ("izer", "ize"),
        ("ization", "ize"),
        ("ational", "ate"),
        ("ation", "ate"),
        ("ator", "ate"),
        ("alism", "al"),
        ("aliti", "al"),
        ("alli", "al"),
        ("fulness", "ful"),
        ("ousli", "ous"),
        ("ousness", "ous"),
        ("iveness", "ive"),
        ("iviti", "ive"),
        ("biliti", "ble"),
        ("bli", "ble"),
        ("ogi", "og"),
        ("fulli", "ful"),
        ("lessli", "less"),
        ("li", ""),
    ];
    let suffixes: Vec<&str> = RULES.iter().map(|(s, _)| *s).collect();
    let Some(s) = word.longest(&suffixes) else { return };
    if !word.in_r1(s) {
        return;
    }
    let stem = word.stem_len(s);
    let before = stem.checked_sub(1).map(|i| word.w[i]);
    let to = RULES.iter().find(|(x, _)| *x == s).map_or("", |(_, t)| *t);
    match s {
        "ogi" if before != Some('l') => {}
        "li" if !matches!(
            before,
            Some('c' | 'd' | 'e' | 'g' | 'h' | 'k' | 'm' | 'n' | 'r' | 't')
        ) => {}
        _ => word.replace(s, to),
    }
}

fn step_3(word: &mut Word) {
    const RULES: &[(&str, &str)] = &[
        ("tional", "tion"),
        ("ational", "ate"),
        ("alize", "al"),
        ("icate", "ic"),
        ("iciti", "ic"),
        ("ical", "ic"),
        ("ful", ""),
        ("ness", ""),
        ("ative", ""),
    ];
    let suffixes: Vec<&str> = RULES.iter().map(|(s, _)| *s).collect();
    let Some(s) = word.longest(&suffixes) else { return };
    if !word.in_r1(s) || (s == "ative" && !word.in_r2(s)) {
        return;
    }
    let to = RULES.iter().find(|(x, _)| *x == s).map_or("", |(_, t)| *t);
    word.replace(s, to);
}

fn step_4(word: &mut Word) {
    const SUFFIXES: &[&str] = &[
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism",
        "ate", "iti", "ous", "ive", "ize", "ion",
    ];
    let Some(s) = word.longest(SUFFIXES) else { return };
    if !word.in_r2(s) {
        return;
    }
    if s == "ion" {
        let stem = word.stem_len(s);
        if stem == 0 || !matches!(word.w[stem - 1], 's' | 't') {
            return;
        }
    }
    word.replace(s, "");
}

fn step_5(word: &mut Word) {
    if word.ends("e") {
        let stem = word.stem_len("e");
        if word.in_r2("e") || (word.in_r1("e") && !word.short_syllable_before(stem)) {
            word.replace("e", "");
        }
    } else if word.ends("l") && word.in_r2("l") && word.stem_len("l") > 0 {
        let stem = word.stem_len("l");
        if word.w[stem - 1] == 'l' {
            word.replace("l", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn porter2_examples() {
        for (w, s) in [
            ("consign", "consign"),
            ("consigned", "consign"),
            ("consigning", "consign"),
            ("consignment", "consign"),
            ("consist", "consist"),
            ("consisted", "consist"),
            ("consistency", "consist"),
            ("consistent", "consist"),
            ("consistently", "consist"),
            ("consisting", "consist"),
            ("consists", "consist"),
            ("consolation", "consol"),
            ("consolations", "consol"),
            ("consolatory", "consolatori"),
            ("console", "consol"),
            ("consoled", "consol"),
            ("consoles", "consol"),
            ("consolidate", "consolid"),
            ("consolidated", "consolid"),
            ("consolidating", "consolid"),
            ("consoling", "consol"),
            ("consolingly", "consol"),
            ("knack", "knack"),
            ("knackeries", "knackeri"),
            ("knavish", "knavish"),
            ("kneaded", "knead"),
            ("kneel", "kneel"),
            ("knees", "knee"),
            ("knight", "knight"),
            ("knightly", "knight"),
            ("knits", "knit"),
            ("knobs", "knob"),
            ("foxes", "fox"),
            ("jumped", "jump"),
            ("lazy", "lazi"),
            ("dogs", "dog"),
            ("happiness", "happi"),
            ("generously", "generous"),
            ("hopping", "hop"),
            ("hoping", "hope"),
            ("cries", "cri"),
            ("ties", "tie"),
            ("gas", "gas"),
            ("caresses", "caress"),
            ("supernovae", "supernova"),
            ("skies", "sky"),
            ("running", "run"),
        ] {
            assert_eq!(stem(w), s, "{w}");
        }
    }
}
