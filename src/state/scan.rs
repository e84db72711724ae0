//! A strict JSON scanner for verified payloads: validates everything `serde_json` would refuse
//! when building a `Value` (bad syntax, nesting deeper than 128, numbers beyond `f64`, lone
//! surrogates, control characters), and locates the top-level values of an object without
//! building anything.
//!
//! The caller checks the whole payload is UTF-8 first (one fast pass), so the scanner only looks
//! at ASCII structure and never has to decode characters.

use std::ops::Range;

use crate::error::DecodeError;

/// `serde_json`'s recursion limit: at most 127 arrays and objects open at once.
const MAX_DEPTH: usize = 128;

/// A position in a UTF-8 buffer of JSON text.
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Containers still allowed to open.
    depth_left: usize,
}

type Scan<T> = Result<T, DecodeError>;

const fn bad<T>() -> Scan<T> {
    Err(DecodeError::BadPayload)
}

/// One top-level entry of an object: its key's token (quotes included) and its value's range.
pub(crate) struct RawEntry {
    pub(crate) key: Range<usize>,
    /// Whether the key has escapes (then it must be unescaped; otherwise it is the token's
    /// inside as it is).
    pub(crate) key_escaped: bool,
    pub(crate) value: Range<usize>,
}

impl<'a> Scanner<'a> {
    /// A scanner over `bytes` (valid UTF-8) starting at `pos`.
    pub(crate) fn new(bytes: &'a [u8], pos: usize) -> Self {
        Self {
            bytes,
            pos,
            depth_left: MAX_DEPTH,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then consumes `byte`.
    pub(crate) fn expect(&mut self, byte: u8) -> Scan<()> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            bad()
        }
    }

    /// Only whitespace is left.
    pub(crate) fn finish(&mut self) -> Scan<()> {
        self.skip_whitespace();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            bad()
        }
    }

    /// Opens a container (counted against the depth limit).
    pub(crate) fn open(&mut self, byte: u8) -> Scan<()> {
        self.expect(byte)?;
        self.depth_left -= 1;
        if self.depth_left == 0 { bad() } else { Ok(()) }
    }

    fn close(&mut self) {
        self.depth_left += 1;
    }

    /// A number, parsed as Python (and `serde_json` with `float_roundtrip`) would: correctly
    /// rounded.
    pub(crate) fn number_f64(&mut self) -> Scan<f64> {
        self.skip_whitespace();
        let token = self.number()?;
        let text = std::str::from_utf8(&self.bytes[token]).map_err(|_| DecodeError::BadPayload)?;
        let value: f64 = text.parse().map_err(|_| DecodeError::BadPayload)?;
        if value.is_finite() { Ok(value) } else { bad() }
    }

    /// Scans one number token (JSON grammar), refusing one beyond the range of `f64`.
    fn number(&mut self) -> Scan<Range<usize>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return bad(),
        }
        let int_digits = self.pos - int_start;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return bad();
            }
            self.digits();
        }
        let mut exponent: i64 = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            let negative = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let exp_start = self.pos;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return bad();
            }
            self.digits();
            for &digit in &self.bytes[exp_start..self.pos] {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1_000_000);
            }
            if negative {
                exponent = -exponent;
            }
        }
        // Only a number whose magnitude may reach 1e308 can overflow: parse those exactly.
        // (Underflow is fine: it reads as zero, as in Python.)
        if int_digits as i64 + exponent > 300 {
            let text = std::str::from_utf8(&self.bytes[start..self.pos])
                .map_err(|_| DecodeError::BadPayload)?;
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return bad();
            }
        }
        Ok(start..self.pos)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// Scans a string token starting at the opening quote; answers whether it has escapes.
    fn string(&mut self) -> Scan<bool> {
        if self.peek() != Some(b'"') {
            return bad();
        }
        self.pos += 1;
        let mut escaped = false;
        loop {
            let Some(byte) = self.peek() else {
                return bad();
            };
            self.pos += 1;
            match byte {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                0x00..=0x1F => return bad(),
                _ => {}
            }
        }
    }

    /// One escape after its backslash. A `\u` surrogate must come in a valid pair.
    fn escape(&mut self) -> Scan<()> {
        let Some(kind) = self.peek() else {
            return bad();
        };
        self.pos += 1;
        match kind {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return bad();
                        }
                        self.pos += 2;
                        if matches!(self.hex4()?, 0xDC00..=0xDFFF) {
                            Ok(())
                        } else {
                            bad()
                        }
                    }
                    0xDC00..=0xDFFF => bad(),
                    _ => Ok(()),
                }
            }
            _ => bad(),
        }
    }

    fn hex4(&mut self) -> Scan<u16> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(DecodeError::BadPayload)?;
        let mut unit = 0u16;
        for &digit in digits {
            let value = (digit as char)
                .to_digit(16)
                .ok_or(DecodeError::BadPayload)?;
            unit = unit * 16 + value as u16;
        }
        self.pos += 4;
        Ok(unit)
    }

    fn literal(&mut self, word: &[u8]) -> Scan<()> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            bad()
        }
    }

    /// Scans one value of any kind, validating all of it; answers its range.
    pub(crate) fn value(&mut self) -> Scan<Range<usize>> {
        self.skip_whitespace();
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.items(b'{', b'}', |scanner| scanner.member().map(drop))?,
            Some(b'[') => self.items(b'[', b']', |scanner| scanner.value().map(drop))?,
            Some(b'"') => {
                self.string()?;
            }
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            _ => {
                self.number()?;
            }
        }
        Ok(start..self.pos)
    }

    /// Scans an object, answering its top-level entries (every nested value validated).
    pub(crate) fn object(&mut self) -> Scan<Vec<RawEntry>> {
        let mut entries = Vec::new();
        self.items(b'{', b'}', |scanner| {
            entries.push(scanner.member()?);
            Ok(())
        })?;
        Ok(entries)
    }

    /// One `"key": value` member of an object.
    fn member(&mut self) -> Scan<RawEntry> {
        self.skip_whitespace();
        let key_start = self.pos;
        let key_escaped = self.string()?;
        let key = key_start..self.pos;
        self.expect(b':')?;
        let value = self.value()?;
        Ok(RawEntry {
            key,
            key_escaped,
            value,
        })
    }

    /// A container from `open` to `close`: its items, each scanned by `item`, separated by
    /// commas (none after the last), counted against the depth limit.
    fn items(
        &mut self,
        open: u8,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Scan<()>,
    ) -> Scan<()> {
        self.open(open)?;
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                item(self)?;
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(byte) if byte == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return bad(),
                }
            }
        }
        self.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validates(text: &str) -> bool {
        let mut scanner = Scanner::new(text.as_bytes(), 0);
        scanner.value().is_ok() && scanner.finish().is_ok()
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_a_value() {
        let cases = [
            "{}",
            "[]",
            "0",
            "-0",
            "1.5",
            "-1.5e-7",
            "1E+2",
            "1e400",
            "-1e400",
            "1e-400",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "1e+",
            "\"a\"",
            "\"\\u00e9\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"\\x\"",
            "\"a\tb\"",
            "\"\\/\"",
            "true",
            "false",
            "null",
            "nul",
            "tru",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "{\"a\":[1,{\"b\":null}]}",
            "  [ 1 , 2 ]  ",
            "[1] x",
            "\"\\u12\"",
            "NaN",
            "Infinity",
            "[",
            "]",
            "\"",
            "",
        ];
        for text in cases {
            let expected = serde_json::from_str::<serde_json::Value>(text).is_ok();
            assert_eq!(validates(text), expected, "{text:?}");
        }
        let thousand_digits = format!("1{}", "0".repeat(1000));
        assert!(!validates(&thousand_digits));
        let small = format!("0.{}1", "0".repeat(1000));
        assert!(validates(&small));
    }

    #[test]
    fn depth_is_limited_like_serde_json() {
        for depth in [127, 128, 129, 1000] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let expected = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            assert_eq!(validates(&text), expected, "{depth}");
        }
    }

    #[test]
    fn object_entries_point_at_their_text() {
        let text = r#" {"a": [1, 2], "b\n": {"c": "d"}} "#;
        let mut scanner = Scanner::new(text.as_bytes(), 0);
        let entries = scanner.object().unwrap();
        scanner.finish().unwrap();
        let spans: Vec<_> = entries
            .iter()
            .map(|e| (&text[e.key.clone()], e.key_escaped, &text[e.value.clone()]))
            .collect();
        assert_eq!(
            spans,
            [
                ("\"a\"", false, "[1, 2]"),
                ("\"b\\n\"", true, r#"{"c": "d"}"#)
            ]
        );
    }
}
