//! Reading the request's `Cookie` header and writing the response's `Set-Cookie` value.
//!
//! Parsing is done here, once, for every adapter: it never allocates and never fails. A value may
//! be wrapped in double quotes (RFC 6265 allows it; WebOb unquotes), which are removed.

use std::fmt;

/// How many cookies of our name are looked at in one request. Browsers send duplicates when
/// cookies with the same name exist for several paths or domains; more than a few is an attack.
pub(crate) const MAX_CANDIDATES: usize = 4;

/// The values of every cookie named `name` in one `Cookie` header, in order.
pub(crate) fn cookie_values<'a>(header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    header.split(';').filter_map(move |pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim_matches([' ', '\t']) != name {
            return None;
        }
        let value = value.trim_matches([' ', '\t']);
        Some(
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value),
        )
    })
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

    #[test]
    fn finds_every_occurrence_and_unquotes() {
        let header = r#"a=1; session=x; b="2";session="y" ; session=;sessionx=z"#;
        let values: Vec<_> = cookie_values(header, "session").collect();
        assert_eq!(values, ["x", "y", ""]);
        assert_eq!(cookie_values(header, "b").collect::<Vec<_>>(), ["2"]);
        assert_eq!(cookie_values("", "session").count(), 0);
        assert_eq!(cookie_values("session", "session").count(), 0);
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
