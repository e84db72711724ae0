//! A strict JSON scanner for verified payloads: validates everything `serde_json` would refuse
//! when building a `Value` (bad syntax, nesting deeper than 128, numbers beyond `f64`, lone
//! surrogates, control characters), and locates the top-level values of an object without
//! building anything.
//!
//! The scanner also checks the payload is UTF-8, without a separate pass: outside strings it
//! accepts only ASCII structure, and a string's contents are checked only when they hold a byte
//! beyond ASCII. Runs of plain string bytes are skipped eight at a time (a `u64` per step, see
//! [`special_bytes`]): most of a session's bytes are inside strings.
//!
//! The per-token functions (`string`, `number`, `member`) are `#[inline(always)]`: a session is
//! many short tokens, and the calls' register saving and restoring cost more than their bodies
//! (measured: 123 000 → 117 000 instructions for a 2 KB Pyramid load).

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
    #[inline(always)]
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
    #[inline(always)]
    fn string(&mut self) -> Scan<bool> {
        if self.peek() != Some(b'"') {
            return bad();
        }
        self.pos += 1;
        let start = self.pos;
        let mut escaped = false;
        let mut non_ascii = false;
        loop {
            self.skip_plain_string_bytes();
            let Some(byte) = self.peek() else {
                return bad();
            };
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                0x00..=0x1F => return bad(),
                0x80.. => non_ascii = true,
                _ => {}
            }
        }
        if non_ascii {
            let contents = self.bytes.get(start..self.pos - 1);
            std::str::from_utf8(contents.unwrap_or_default())
                .map_err(|_| DecodeError::BadPayload)?;
        }
        Ok(escaped)
    }

    /// Advances over string bytes that need no attention, eight at a time, stopping at the first
    /// one that does (or fewer than eight bytes before the end).
    fn skip_plain_string_bytes(&mut self) {
        while let Some(chunk) = self.bytes.get(self.pos..).and_then(<[u8]>::first_chunk) {
            let special = special_bytes(u64::from_le_bytes(*chunk));
            if special != 0 {
                self.pos += special.trailing_zeros() as usize / 8;
                return;
            }
            self.pos += 8;
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
        // Room for as many entries as a payload of this size usually holds: one allocation.
        let mut entries = Vec::with_capacity(self.bytes.len().saturating_sub(self.pos) / 64 + 4);
        self.items(b'{', b'}', |scanner| {
            entries.push(scanner.member()?);
            Ok(())
        })?;
        Ok(entries)
    }

    /// One `"key": value` member of an object.
    #[inline(always)]
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

/// The bytes of `chunk` (eight string bytes, the first in the low bits) that end a run of plain
/// ones: `"`, `\\`, controls and bytes beyond ASCII, each flagged by its high bit. Bits above the
/// first flagged byte may be set spuriously (a borrow carried upwards), never below it, so
/// `trailing_zeros() / 8` is exactly the first such byte's index.
const fn special_bytes(chunk: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    // Flags the bytes of `x` that are below `n` (n <= 0x80), exactly up to the first one.
    const fn below(x: u64, n: u8) -> u64 {
        x.wrapping_sub(ONES * n as u64) & !x
    }
    let quote = below(chunk ^ (ONES * b'"' as u64), 1);
    let backslash = below(chunk ^ (ONES * b'\\' as u64), 1);
    let control = below(chunk, 0x20);
    (quote | backslash | control | chunk) & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn validates(text: &str) -> bool {
        validates_bytes(text.as_bytes())
    }

    fn validates_bytes(bytes: &[u8]) -> bool {
        let mut scanner = Scanner::new(bytes, 0);
        scanner.value().is_ok() && scanner.finish().is_ok()
    }

    fn is_special(byte: u8) -> bool {
        matches!(byte, b'"' | b'\\' | 0x00..=0x1F | 0x80..)
    }

    #[test]
    fn special_bytes_finds_the_first_special_byte_at_every_position() {
        for first in 0..8 {
            for byte in 0..=255u8 {
                let mut chunk = [b'a'; 8];
                chunk[first] = byte;
                let flagged = special_bytes(u64::from_le_bytes(chunk));
                if !is_special(byte) {
                    assert_eq!(flagged, 0, "{byte:#04x} at {first}");
                    continue;
                }
                assert_eq!(flagged.trailing_zeros() / 8, first as u32, "{byte:#04x}");
                // Whatever follows, the first special byte is still the one found.
                for second in first + 1..8 {
                    for other in 0..=255u8 {
                        chunk[second] = other;
                        let flagged = special_bytes(u64::from_le_bytes(chunk));
                        assert_eq!(flagged.trailing_zeros() / 8, first as u32);
                        chunk[second] = b'a';
                    }
                }
            }
        }
    }

    /// String contents made of every class of byte the scanner treats differently: plain ASCII,
    /// DEL, quotes, escapes (valid, invalid, surrogates), controls, UTF-8 sequences of every
    /// length, and bytes that are not UTF-8 where they stand.
    fn string_piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            20 => proptest::collection::vec(0x20u8..0x7f, 1..12),
            2 => Just(b"\x7f".to_vec()),
            2 => Just(b"\"".to_vec()),
            2 => Just(b"\\\"".to_vec()),
            2 => Just(b"\\\\".to_vec()),
            1 => Just(b"\\".to_vec()),
            2 => Just(b"\\n".to_vec()),
            1 => Just(b"\\q".to_vec()),
            2 => Just(b"\\u00e9".to_vec()),
            1 => Just(b"\\ud83d\\ude00".to_vec()),
            1 => Just(b"\\ud83d".to_vec()),
            1 => Just(b"\\ude00".to_vec()),
            2 => (0u8..0x20).prop_map(|b| vec![b]),
            3 => Just("é".as_bytes().to_vec()),
            3 => Just("€".as_bytes().to_vec()),
            3 => Just("😀".as_bytes().to_vec()),
            1 => Just(vec![0x80]),
            1 => Just(vec![0xC3]),
            1 => Just(vec![0xE2, 0x82]),
            1 => Just(vec![0xED, 0xA0, 0x80]),
            1 => Just(vec![0xFF]),
        ]
    }

    fn document() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(string_piece(), 0..12),
            proptest::collection::vec(string_piece(), 0..4),
            0usize..8,
        )
            .prop_map(|(value, key, indent)| {
                // The key and the value start at every offset of an 8-byte step.
                let mut doc = b"{".to_vec();
                doc.extend(std::iter::repeat_n(b' ', indent));
                doc.push(b'"');
                doc.extend(key.concat());
                doc.extend_from_slice(b"\": [\"");
                doc.extend(value.concat());
                doc.extend_from_slice(b"\", 1]}");
                doc
            })
    }

    proptest::proptest! {
        #[test]
        fn strings_are_judged_as_serde_json_judges_them(doc in document()) {
            let expected = serde_json::from_slice::<serde_json::Value>(&doc).is_ok();
            proptest::prop_assert_eq!(validates_bytes(&doc), expected, "{:?}", String::from_utf8_lossy(&doc));
        }
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
