//! A file's bytes as the text every later stage works on: the UTF-8 byte-order mark dropped, a
//! PEP 263 coding cookie honoured, and lone carriage returns read as line ends (Python does), so
//! offsets, lines and columns mean the same thing to the parser, the settings model and reports.

use encoding_rs::Encoding;

/// Why a file could not be turned into text; the message goes into the report's `errors`.
#[derive(Debug, PartialEq, Eq)]
pub struct Undecodable(pub String);

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Python source: UTF-8 unless a coding cookie on line 1 or 2 names another encoding. Takes
/// the bytes by value so UTF-8, the common case, becomes the `String` without a copy.
pub fn decode_python(bytes: impl Into<Vec<u8>>) -> Result<String, Undecodable> {
    let mut body = bytes.into();
    let had_bom = body.starts_with(BOM);
    if had_bom {
        body.drain(..BOM.len());
    }
    let text = match coding_cookie(&body) {
        Some(label) if !is_utf8_label(&label) => {
            if had_bom {
                return Err(Undecodable(format!(
                    "skipped: a UTF-8 byte-order mark with a `{label}` coding cookie"
                )));
            }
            let encoding = encoding_for(&label).ok_or_else(|| {
                Undecodable(format!("skipped: unknown source encoding `{label}`"))
            })?;
            let (text, _, had_errors) = encoding.decode(&body);
            if had_errors {
                return Err(Undecodable(format!(
                    "skipped: not valid {} (its coding cookie)",
                    encoding.name()
                )));
            }
            text.into_owned()
        }
        _ => utf8(body)?,
    };
    Ok(normalize_line_ends(text))
}

/// Any other text file we read (manifests): UTF-8, with or without a byte-order mark.
pub fn decode_text(bytes: impl Into<Vec<u8>>) -> Result<String, Undecodable> {
    let mut body = bytes.into();
    if body.starts_with(BOM) {
        body.drain(..BOM.len());
    }
    Ok(normalize_line_ends(utf8(body)?))
}

fn utf8(bytes: Vec<u8>) -> Result<String, Undecodable> {
    String::from_utf8(bytes).map_err(|e| {
        Undecodable(format!(
            "skipped: not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A lone `\r` ends a line for Python; as `\n` it does for every stage here too. One byte for
/// one byte, so nothing shifts.
fn normalize_line_ends(text: String) -> String {
    if !text.as_bytes().contains(&b'\r') {
        return text;
    }
    let mut out = text.into_bytes();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes.
    String::from_utf8(out).unwrap_or_default()
}

/// The encoding a PEP 263 cookie names: `coding[:=]NAME` in a comment on line 1, or on line 2
/// when line 1 is a comment or blank too.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n' || b == b'\r');
    let first = lines.next()?;
    if let Some(label) = cookie_in(first) {
        return Some(label);
    }
    let first = trim_ascii_start(first);
    if first.is_empty() || first.starts_with(b"#") {
        return lines.next().and_then(cookie_in);
    }
    None
}

fn cookie_in(line: &[u8]) -> Option<String> {
    let line = trim_ascii_start(line);
    let comment = line.strip_prefix(b"#")?;
    // The first `coding` followed by `:` or `=` and a name, as PEP 263's regular expression.
    let name_at = |at: usize| {
        let rest = &comment[at + 6..];
        let rest = rest
            .strip_prefix(b":")
            .or_else(|| rest.strip_prefix(b"="))?;
        let rest = trim_ascii_start(rest);
        let end = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
            .unwrap_or(rest.len());
        (end > 0).then(|| String::from_utf8_lossy(&rest[..end]).to_ascii_lowercase())
    };
    comment
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == b"coding")
        .find_map(|(at, _)| name_at(at))
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn is_utf8_label(label: &str) -> bool {
    let plain: String = label.chars().filter(|c| *c != '-' && *c != '_').collect();
    plain == "utf8" || plain == "utf8sig"
}

/// Python's codec names as the WHATWG labels `encoding_rs` knows (`latin-1` is spelt `latin1`
/// there; Python's `latin_1` and `iso8859_15` use underscores).
fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let dashed = label.replace('_', "-");
    let joined = label.replace(['_', '-'], "");
    let aliases: &[(&str, &str)] = &[
        ("latin1", "iso-8859-1"),
        ("l1", "iso-8859-1"),
        ("cp819", "iso-8859-1"),
        ("iso88591", "iso-8859-1"),
        ("iso885915", "iso-8859-15"),
        ("latin9", "iso-8859-15"),
        ("cp1252", "windows-1252"),
        ("cp1251", "windows-1251"),
        ("cp1250", "windows-1250"),
        ("shiftjis", "shift_jis"),
        ("sjis", "shift_jis"),
        ("eucjp", "euc-jp"),
        ("euckr", "euc-kr"),
        ("cp936", "gbk"),
    ];
    let alias = aliases
        .iter()
        .find(|(from, _)| *from == joined)
        .map(|(_, to)| *to);
    let found = [label, dashed.as_str(), joined.as_str()]
        .into_iter()
        .chain(alias)
        .find_map(|l| Encoding::for_label(l.as_bytes()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let text = decode_python(b"\xef\xbb\xbfDEBUG = True\n").expect("decodes");
        assert_eq!(text, "DEBUG = True\n");
    }

    #[test]
    fn latin1_cookies_decode_on_line_one_or_two() {
        let one = decode_python(b"# -*- coding: latin-1 -*-\nNAME = '\xe9'\n").expect("decodes");
        assert_eq!(one, "# -*- coding: latin-1 -*-\nNAME = 'é'\n");
        let two = decode_python(
            b"#!/usr/bin/env python\n# vim: set fileencoding=iso8859_15 :\nX = '\xa4'\n",
        )
        .expect("decodes");
        assert!(two.ends_with("X = '€'\n"), "{two}");
        // A word with `coding` in it before the cookie does not hide it.
        let late =
            decode_python(b"# decoding notes, coding: latin-1\nN = '\xe9'\n").expect("decodes");
        assert!(late.ends_with("N = 'é'\n"), "{late}");
        // Line 2 counts only after a comment or blank line 1.
        assert_eq!(
            decode_python(b"X = 1\n# coding: latin-1\nY = '\xe9'\n"),
            Err(Undecodable("skipped: not valid UTF-8 (at byte 29)".into()))
        );
    }

    #[test]
    fn unknown_and_contradicting_encodings_are_refused() {
        assert_eq!(
            decode_python(b"# coding: klingon\nX = 1\n"),
            Err(Undecodable(
                "skipped: unknown source encoding `klingon`".into()
            ))
        );
        assert_eq!(
            decode_python(b"\xef\xbb\xbf# coding: latin-1\nX = 1\n"),
            Err(Undecodable(
                "skipped: a UTF-8 byte-order mark with a `latin-1` coding cookie".into()
            ))
        );
        assert_eq!(
            decode_python(b"# coding: utf-8\nX = 1\n"),
            Ok("# coding: utf-8\nX = 1\n".into())
        );
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_crlf_is_kept() {
        assert_eq!(
            decode_python(b"a = 1\rb = 2\r").expect("ok"),
            "a = 1\nb = 2\n"
        );
        assert_eq!(
            decode_python(b"a = 1\r\nb = 2\r\n").expect("ok"),
            "a = 1\r\nb = 2\r\n"
        );
        assert_eq!(decode_text(b"\xef\xbb\xbfx\ry").expect("ok"), "x\ny");
    }
}
