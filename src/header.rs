//! Reading the request's `Cookie` header and writing the response's `Set-Cookie` value.
//!
//! Parsing is done here, once, for every adapter: it never allocates and never fails. A value may
//! be wrapped in double quotes (RFC 6265 allows it; WebOb unquotes), which are removed.

use std::fmt;

/// How many cookies of our name are looked at in one request. Browsers send duplicates when
/// cookies with the same name exist for several paths or domains; more than a few is an attack.
pub(crate) const MAX_CANDIDATES: usize = 4;

/// The values of every cookie named `name` in one `Cookie` header, in order, as the header's
/// bytes.
///
/// It works on bytes because framework header types hold bytes, and a header is mostly other
/// sites' cookies: checking the whole of it for UTF-8 (or converting it) on every request would
/// cost more than finding our cookie. Only the delimiters `;`, `=`, space, tab and `"` are looked
/// at, all ASCII, so bytes that are not UTF-8 anywhere else cannot hide or split our cookie; a
/// value of ours that is not UTF-8 is rejected by the caller.
pub(crate) fn cookie_values<'a>(header: &'a [u8], name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    pairs(header).filter_map(move |pair| {
        let equals = pair.iter().position(|&b| b == b'=')?;
        let (key, value) = (&pair[..equals], &pair[equals + 1..]);
        if trim_blanks(key) != name.as_bytes() {
            return None;
        }
        let value = trim_blanks(value);
        Some(
            value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value),
        )
    })
}

/// The `;`-separated pairs of a header. The separators are found eight bytes at a time (a
/// `Cookie` header is mostly other sites' cookies, up to a few kilobytes, all of which must be
/// stepped over).
fn pairs(header: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(header);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_semicolon(current) {
            Some(at) => {
                rest = Some(&current[at + 1..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The position of the first `;` in `bytes`.
fn find_semicolon(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const SEMICOLONS: u64 = u64::from_ne_bytes([b';'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])) ^ SEMICOLONS;
        // Non-zero exactly when some byte of `word` is zero, i.e. that byte was a `;`.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0 {
            return chunk.iter().position(|&b| b == b';').map(|at| offset + at);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b';')
        .map(|at| offset + at)
}

/// A cookie value found by [`cookie_values`], as the text the decoders take. Every value a
/// codec writes is ASCII, so one that is not UTF-8 cannot be valid: it is given to the decoders
/// as U+FFFD, which each of them rejects as malformed (a typed reason, never a panic), the same
/// answer a lossy conversion of the header gave. Only our own values are checked, never the rest
/// of the header.
pub(crate) fn value_text(value: &[u8]) -> &str {
    std::str::from_utf8(value).unwrap_or("\u{fffd}")
}

/// `bytes` without leading and trailing spaces and tabs (RFC 6265's optional white space around
/// cookie pairs).
fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// Whether `name` is an RFC 6265 cookie name (an RFC 7230 token).
pub(crate) fn is_valid_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether an attribute value can be written into a `Set-Cookie` header as it is.
pub(crate) fn is_valid_attribute(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// A `Set-Cookie` header value to add to the response: `name=value; attributes`.
///
/// It is plain text, so it fits every framework's header type.
///
/// ```
/// use cookie_session::{CookieSessionFactory, Secret, UnixTime};
/// let factory = CookieSessionFactory::new(Secret::generate())?;
/// let now = UnixTime::from_secs(1_700_000_000);
/// let mut session = factory.load(None, now);
/// session.insert("n", 1)?;
/// let set_cookie = factory.finish(&session, now)?.expect("a changed session is written");
/// assert!(set_cookie.as_str().starts_with("session="));
/// assert!(set_cookie.as_str().ends_with("; HttpOnly; SameSite=Lax; Secure; Path=/"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` hides the value (it is the user's credential); `Display` and [`SetCookie::as_str`]
/// give the whole header.
#[derive(Clone, PartialEq, Eq)]
pub struct SetCookie {
    header: String,
    value_range: std::ops::Range<usize>,
}

impl SetCookie {
    #[cfg(test)]
    pub(crate) fn new(name: &str, value: &str, attributes: &str) -> Self {
        let mut header = String::with_capacity(name.len() + 1 + value.len() + attributes.len());
        header.push_str(name);
        header.push('=');
        header.push_str(value);
        Self::with_attributes(header, name.len() + 1, attributes)
    }

    /// The header from `name=value` already written in `header` (the value from `value_start`
    /// to its end), with `attributes` appended: the value is written once, where it stays.
    pub(crate) fn with_attributes(
        mut header: String,
        value_start: usize,
        attributes: &str,
    ) -> Self {
        let value_end = header.len();
        header.push_str(attributes);
        Self {
            header,
            value_range: value_start..value_end,
        }
    }

    /// The whole header value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.header
    }

    /// The cookie's value alone (what the browser sends back).
    #[must_use]
    pub fn value(&self) -> &str {
        &self.header[self.value_range.clone()]
    }

    /// The header value as an owned string.
    #[must_use]
    pub fn into_string(self) -> String {
        self.header
    }

    /// Length of the header value in bytes: what the size limit is checked against.
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // Never empty: at least a name and `=`.
    pub fn len(&self) -> usize {
        self.header.len()
    }
}

impl fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = &self.header[..self.value_range.start.saturating_sub(1)];
        let attributes = &self.header[self.value_range.end..];
        write!(
            f,
            "SetCookie({name}=<{} bytes redacted>{attributes})",
            self.value_range.len()
        )
    }
}

impl fmt::Display for SetCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(header: &'a [u8], name: &'a str) -> Vec<&'a [u8]> {
        cookie_values(header, name).collect()
    }

    #[test]
    fn finds_every_occurrence_and_unquotes() {
        let header = br#"a=1; session=x; b="2";session="y" ; session=;sessionx=z"#;
        assert_eq!(values(header, "session"), [&b"x"[..], b"y", b""]);
        assert_eq!(values(header, "b"), [b"2"]);
        assert!(values(b"", "session").is_empty());
        assert!(values(b"session", "session").is_empty());
        assert!(values(b";;;", "session").is_empty());
    }

    #[test]
    fn splits_at_every_semicolon_wherever_it_falls_in_a_word() {
        // Every position relative to the eight-byte steps, every byte value around it.
        for len in 0..40 {
            for at in 0..len {
                for filler in [b'a', 0x00, 0x3a, 0x3c, 0x7f, 0x80, 0xbb, 0xff] {
                    let mut header = vec![filler; len];
                    header[at] = b';';
                    assert_eq!(find_semicolon(&header), Some(at), "{len} {at} {filler}");
                    let split: Vec<_> = pairs(&header).collect();
                    assert_eq!(split, [&header[..at], &header[at + 1..]]);
                }
            }
            let none = vec![b':'; len];
            assert_eq!(find_semicolon(&none), None);
            assert_eq!(pairs(&none).collect::<Vec<_>>(), [&none[..]]);
        }
        let many = b";a;;b=1;";
        let split: Vec<_> = pairs(many).collect();
        assert_eq!(split, [&b""[..], b"a", b"", b"b=1", b""]);
    }

    #[test]
    fn trims_only_spaces_and_tabs_and_splits_at_the_first_equals() {
        let header = b" \tsession\t = a=b== \t; session=\r; \x0bsession=c";
        assert_eq!(values(header, "session"), [&b"a=b=="[..], b"\r"]);
        assert_eq!(values(b"session=  ", "session"), [b""]);
        assert_eq!(values(b"  =x; =y", ""), [b"x", b"y"]);
    }

    #[test]
    fn unquotes_only_a_whole_pair_of_quotes() {
        let header = br#"session="; session=""; session="a; session=a"; session=""a"""#;
        assert_eq!(
            values(header, "session"),
            [&b"\""[..], b"", b"\"a", b"a\"", b"\"a\""]
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_neither_hide_nor_split_a_cookie() {
        let header = b"lang=\xff\xfe; \xc3=\x28; session=abc; x=\xe2\x82";
        assert_eq!(values(header, "session"), [b"abc"]);
        assert_eq!(values(b"session=\xff\xfe", "session"), [b"\xff\xfe"]);
        assert_eq!(values(b"\xffsession=abc", "session"), Vec::<&[u8]>::new());
        // A name is compared byte for byte, so a UTF-8 name never matches a lossy look-alike.
        assert!(values("s\u{e9}ssion=1".as_bytes(), "session").is_empty());
    }

    #[test]
    fn debug_hides_the_value() {
        let cookie = SetCookie::new("session", "c2VjcmV0", "; Path=/");
        assert_eq!(
            format!("{cookie:?}"),
            "SetCookie(session=<8 bytes redacted>; Path=/)"
        );
        assert_eq!(cookie.to_string(), "session=c2VjcmV0; Path=/");
    }

    #[test]
    fn the_value_is_written_once_into_a_header_sized_once() {
        use crate::format::ValueOut;
        let mut out = ValueOut::new(Some("session"), "; Path=/".len());
        out.push_base64(b"secret");
        let (header, value_start) = out.into_parts();
        let cookie = SetCookie::with_attributes(header, value_start, "; Path=/");
        assert_eq!(cookie.value(), "c2VjcmV0");
        assert_eq!(cookie, SetCookie::new("session", "c2VjcmV0", "; Path=/"));
        assert_eq!(
            cookie.header.capacity(),
            cookie.len(),
            "allocated once, exactly"
        );
        // Without a name (a bare value, as `encode_value` returns it).
        let mut out = ValueOut::new(None, 0);
        out.push_str("abc");
        out.push_base64(b"\xfb\xff");
        assert_eq!(out.into_parts(), ("abc-_8".to_owned(), 0));
    }

    #[test]
    fn cookie_names_are_tokens() {
        assert!(is_valid_cookie_name("session"));
        assert!(is_valid_cookie_name("__Host-sid"));
        for bad in ["", "a b", "a;b", "a=b", "é", "a\"b"] {
            assert!(!is_valid_cookie_name(bad), "{bad:?}");
        }
    }
}
