//! The holes of a text template (`%`-formatting, `str.format`, f-strings, `+` chains) and
//! the literal text around each, so provenance can ask what kind of place a value is pasted
//! into. A rule names the places that only hold names or keywords (for SQL: a table after
//! `FROM`, a channel after `NOTIFY`, a double-quoted identifier): a value there is not a
//! value the driver could have bound, so "pass it as a parameter" does not apply.

/// One piece of a template: literal text, or a hole filled by the `key`-th / named argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// A hole; `numeric` when its conversion makes it a number (`%d`, `{:.2f}`).
    Hole {
        key: Key,
        numeric: bool,
    },
}

/// Which argument fills a hole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Position(usize),
    Name(String),
}

/// The pieces of a `%` template, or `None` for forms not followed (`%*d`, a bad template).
pub fn percent_pieces(template: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    let mut position = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            text.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let name: String = chars.by_ref().take_while(|&c| c != ')').collect();
            key = Some(Key::Name(name));
        }
        // Flags, width, precision and length modifiers.
        while chars
            .peek()
            .is_some_and(|c| "#0- +.hlL".contains(*c) || c.is_ascii_digit())
        {
            chars.next();
        }
        let conversion = chars.next()?;
        if conversion == '%' && key.is_none() {
            text.push('%');
            continue;
        }
        if !conversion.is_ascii_alphabetic() {
            return None;
        }
        let key = key.unwrap_or_else(|| {
            position += 1;
            Key::Position(position - 1)
        });
        pieces.push(Piece::Text(std::mem::take(&mut text)));
        let numeric = "diouxXeEfFgG".contains(conversion);
        pieces.push(Piece::Hole { key, numeric });
    }
    pieces.push(Piece::Text(text));
    Some(pieces)
}

/// The pieces of a `str.format` template, or `None` for nested fields (`{:{width}}`).
pub fn brace_pieces(template: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    let mut auto = 0;
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let field: String = chars.by_ref().take_while(|&c| c != '}').collect();
                if field.contains('{') {
                    return None;
                }
                let (name, spec) = match field.split_once(':') {
                    Some((name, spec)) => (name, spec),
                    None => (field.as_str(), ""),
                };
                let name = name.split('!').next().unwrap_or_default();
                // `{0.attr}`, `{row[key]}`: the hole shows part of the argument.
                let name = name.split(['.', '[']).next().unwrap_or_default();
                let key = if name.is_empty() {
                    auto += 1;
                    Key::Position(auto - 1)
                } else if let Ok(n) = name.parse::<usize>() {
                    Key::Position(n)
                } else {
                    Key::Name(name.to_string())
                };
                let numeric = spec
                    .trim_end()
                    .ends_with(['d', 'f', 'e', 'g', 'x', 'X', 'o', 'b', '%', 'n']);
                pieces.push(Piece::Text(std::mem::take(&mut text)));
                pieces.push(Piece::Hole { key, numeric });
            }
            _ => text.push(c),
        }
    }
    pieces.push(Piece::Text(text));
    Some(pieces)
}

/// The places a rule says hold only names or keywords.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    /// Upper-case, single-spaced, with no space before `(`: `FROM`, `ORDER BY`, `MATCH(`.
    words: Vec<String>,
    /// Characters that quote an identifier when they enclose a hole (`"`, `` ` ``).
    quotes: Vec<char>,
}

/// How much of the text before a hole is looked at.
const WINDOW: usize = 160;

impl Positions {
    pub fn new(words: &[String], quotes: &[String]) -> Self {
        Positions {
            words: words.iter().map(|w| normalise(w)).collect(),
            quotes: quotes.iter().filter_map(|q| q.chars().next()).collect(),
        }
    }

    /// As [`Positions::new`], refusing what would make every hole a name or be dropped
    /// silently: a blank word, a quote that is not exactly one non-blank character.
    pub fn checked(words: &[String], quotes: &[String]) -> Result<Self, String> {
        for (i, word) in words.iter().enumerate() {
            if word.trim().is_empty() {
                return Err(format!(
                    "identifier_after[{i}] is blank: it would make every hole a name"
                ));
            }
        }
        for (i, quote) in quotes.iter().enumerate() {
            let mut chars = quote.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_whitespace() => {}
                _ => {
                    return Err(format!(
                        "identifier_quotes[{i}] is {quote:?}: give exactly one quote character"
                    ))
                }
            }
        }
        Ok(Self::new(words, quotes))
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.quotes.is_empty()
    }

    /// Whether a hole with literal text `before` and `after` it (earlier holes written as a
    /// name; `after` may be only its first few characters) stands where only a name or
    /// keyword can: directly after one of the words, in a list of names after one
    /// (`ORDER BY a, `, `MATCH(t.a, `, `FROM schema.`), or enclosed in identifier quotes where
    /// a name stands (`SELECT "x"`, `t."x"`, a fragment `"x" = …`).
    pub fn names_only(&self, before: &str, after: &str) -> bool {
        if let (Some(b), Some(a)) = (before.chars().last(), after.chars().next()) {
            if a == b && self.quotes.contains(&b) {
                // A quoted hole is a name only where a name stands anyway (`SELECT "x"`,
                // `SET "x" =`, `t."x"`, `FROM "x"`): elsewhere (`VALUES ("x")`, `IN ("x")`,
                // `= "x"`) MySQL reads double quotes as a string.
                let outside = &before[..before.len() - b.len_utf8()];
                // A fragment that starts `"x" = …` names the column it sets or compares.
                let assigned = after[a.len_utf8()..].trim_start().starts_with('=');
                if outside.trim().is_empty() && assigned {
                    return true;
                }
                return self.in_name_place(outside, &["SELECT", "SET"], true);
            }
        }
        self.in_name_place(before, &[], false)
    }

    /// Whether the end of `before` is a place for a name: directly after one of the words (or
    /// `extra`), after a `.` when `dotted`, or in a list of names after one of them.
    fn in_name_place(&self, before: &str, extra: &[&str], dotted: bool) -> bool {
        let start = before
            .char_indices()
            .rev()
            .nth(WINDOW)
            .map_or(0, |(i, _)| i);
        let tail = normalise(&before[start..]);
        let mut text = tail.trim_end();
        if dotted && text.ends_with('.') {
            return true;
        }
        // Each round steps back over one `name,` or `name.` of a list.
        for _ in 0..16 {
            if self.ends_with_word(text, extra) {
                return true;
            }
            let Some(rest) = text.strip_suffix(',').or_else(|| text.strip_suffix('.')) else {
                return false;
            };
            let rest = rest.trim_end();
            let Some(mut shorter) = strip_name(rest) else {
                return false;
            };
            // `ORDER BY a DESC, `: the direction belongs to the name before it.
            if matches!(last_word(rest), "ASC" | "DESC") {
                let Some(again) = strip_name(shorter) else {
                    return false;
                };
                shorter = again;
            }
            text = shorter;
        }
        false
    }

    fn ends_with_word(&self, text: &str, extra: &[&str]) -> bool {
        let words = self
            .words
            .iter()
            .map(String::as_str)
            .chain(extra.iter().copied());
        for w in words {
            let Some(rest) = text.strip_suffix(w) else {
                continue;
            };
            if rest
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            // `IS DISTINCT FROM x`, `EXTRACT(YEAR FROM x)`, `TRIM(' ' FROM x)`: a value.
            if w.ends_with("FROM") && from_takes_a_value(rest) {
                continue;
            }
            return true;
        }
        false
    }
}

/// Whether a `FROM` after `rest` takes a value: it follows `DISTINCT`, or it sits inside the
/// parentheses of a function call (`EXTRACT(`, `TRIM(`, `SUBSTRING(`) rather than a subquery.
fn from_takes_a_value(rest: &str) -> bool {
    if last_word(rest.trim_end()) == "DISTINCT" {
        return true;
    }
    // The innermost parenthesis still open before the `FROM` (`rest` is a bounded window).
    let mut depth = 0usize;
    for (i, c) in rest.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let inside = rest[i + 1..].trim_start();
                let called = rest[..i]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                let word = last_word(&rest[..i]);
                let keyword = matches!(
                    word,
                    "FROM" | "JOIN" | "IN" | "EXISTS" | "AS" | "ANY" | "ALL"
                );
                return called && !keyword && !inside.starts_with("SELECT");
            }
            _ => {}
        }
    }
    false
}

/// Upper case, whitespace runs as one space, no space before `(`.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() && !word.starts_with('(') {
            out.push(' ');
        }
        out.push_str(&word.to_uppercase());
    }
    if text.ends_with(char::is_whitespace) {
        out.push(' ');
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '"' | '`')
}

fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !is_name_char(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// `text` without its last name, or `None` when it does not end in one.
fn strip_name(text: &str) -> Option<&str> {
    let word = last_word(text);
    (!word.is_empty()).then(|| text[..text.len() - word.len()].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql() -> Positions {
        let words = ["FROM", "JOIN", "NOTIFY", "ORDER BY", "MATCH(", "AS"];
        Positions::new(
            &words.map(String::from),
            &["\"".to_string(), "`".to_string()],
        )
    }

    #[test]
    fn names_after_keywords_in_lists_and_in_quotes() {
        let p = sql();
        assert!(p.names_only("SELECT * FROM ", " WHERE a = %s"));
        assert!(p.names_only("select 1 from\n  ", ""));
        assert!(p.names_only("SELECT * FROM x.", ""));
        assert!(p.names_only("SELECT 1 ORDER BY a DESC, b, ", ""));
        assert!(p.names_only("MATCH (t.a, ", ")"));
        assert!(p.names_only("UPDATE t SET \"", "\" = %s"));
        assert!(p.names_only("NOTIFY ", ", %s"));
        // values, and keywords further back, are not names
        assert!(!p.names_only("SELECT * FROM t WHERE a = ", ""));
        assert!(!p.names_only("SELECT * FROM t WHERE ", ""));
        assert!(!p.names_only("SELECT * FROM t WHERE a = '", "'"));
        assert!(!p.names_only("SELECT 1 WHERE x IN (a, ", ")"));
        assert!(!p.names_only("SELECT 1 WHERE CLASS = ", ""));
        assert!(!p.names_only("WHERE name = \"", "'"));
        assert!(!p.names_only("WHERE name = \"", "\""));
        assert!(!p.names_only("WHERE name like \"", "\""));
        assert!(p.names_only("SELECT \"", "\" FROM t"));
    }

    #[test]
    fn quoted_holes_are_names_only_where_a_name_stands() {
        let p = sql();
        assert!(p.names_only("SELECT \"a\", \"", "\" FROM t"));
        assert!(p.names_only("SELECT * FROM \"", "\""));
        assert!(p.names_only("SELECT t.\"", "\" FROM t"));
        assert!(p.names_only("SELECT 1 FROM \"s\".\"", "\""));
        assert!(!p.names_only("UPDATE t SET a = 1, \"", "\" = 2"));
        // values: MySQL reads double quotes as a string
        assert!(!p.names_only("INSERT INTO t (label) VALUES (\"", "\")"));
        assert!(!p.names_only("SELECT 1 FROM t WHERE a IN (\"", "\")"));
        assert!(!p.names_only("SELECT 1 FROM t WHERE a IN (\"b\", \"", "\")"));
        assert!(!p.names_only("SELECT 1 FROM t WHERE a = 1 AND b <> \"", "\""));
        assert!(!p.names_only("\"", "\""));
        assert!(!p.names_only("\"", "\", 1"));
        assert!(p.names_only("\"", "\" = %s"));
    }

    #[test]
    fn from_takes_a_value_after_distinct_and_inside_function_calls() {
        let p = sql();
        assert!(!p.names_only("SELECT 1 FROM t WHERE a IS DISTINCT FROM ", ""));
        assert!(!p.names_only("SELECT EXTRACT(YEAR FROM ", ") FROM t"));
        assert!(!p.names_only("SELECT trim (both ' ' from ", ")"));
        assert!(!p.names_only("SELECT SUBSTRING(a FROM ", " FOR 2)"));
        // a subquery's FROM, and FROM after a finished call, still take a table
        assert!(p.names_only("SELECT * FROM (SELECT a FROM ", ") s"));
        assert!(p.names_only("SELECT 1 WHERE a IN (SELECT b FROM ", ")"));
        assert!(p.names_only("SELECT EXTRACT(YEAR FROM d) FROM ", ""));
        assert!(p.names_only("SELECT count(*) FROM ", ""));
    }

    #[test]
    fn blank_words_and_quotes_that_are_not_one_character_are_refused() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let q = strings(&["\""]);
        assert!(Positions::checked(&strings(&["FROM", "ORDER BY"]), &q).is_ok());
        assert_eq!(
            Positions::checked(&strings(&["FROM", "  "]), &q)
                .err()
                .as_deref(),
            Some("identifier_after[1] is blank: it would make every hole a name")
        );
        assert!(Positions::checked(&strings(&[""]), &[]).is_err());
        for bad in ["", "''", " "] {
            assert_eq!(
                Positions::checked(&[], &strings(&[bad])).err(),
                Some(format!(
                    "identifier_quotes[0] is {bad:?}: give exactly one quote character"
                ))
            );
        }
    }

    #[test]
    fn templates_split_into_text_and_holes() {
        let hole = |key: Key, numeric| Piece::Hole { key, numeric };
        let text = |t: &str| Piece::Text(t.to_string());
        assert_eq!(
            percent_pieces("MATCH(%s) AGAINST (%%s%s) LIMIT %d").unwrap(),
            vec![
                text("MATCH("),
                hole(Key::Position(0), false),
                text(") AGAINST (%s"),
                hole(Key::Position(1), false),
                text(") LIMIT "),
                hole(Key::Position(2), true),
                text(""),
            ]
        );
        assert_eq!(
            percent_pieces("a %(t)s")
                .unwrap()
                .into_iter()
                .filter(|p| matches!(p, Piece::Hole { .. }))
                .collect::<Vec<_>>(),
            vec![hole(Key::Name("t".into()), false)]
        );
        assert_eq!(
            brace_pieces("NOTIFY {channel}, %s {} {{x}} {0.a:d}").unwrap(),
            vec![
                text("NOTIFY "),
                hole(Key::Name("channel".into()), false),
                text(", %s "),
                hole(Key::Position(0), false),
                text(" {x} "),
                hole(Key::Position(0), true),
                text(""),
            ]
        );
        assert_eq!(brace_pieces("{:{w}}"), None);
        assert_eq!(percent_pieces("%*d"), None);
    }
}
