//! Byte-exact reproduction of CPython's `json.dumps`, in the styles the Python frameworks call it.
//!
//! Pyramid, Flask and Django sign the *bytes* `json.dumps` produces, so a Rust writer that mints
//! the cookie the framework would mint must produce exactly those bytes. `serde_json`'s compact
//! output differs from CPython's in three ways, all fixed here by a [`Formatter`]:
//!
//! * the separators are the style's (CPython's defaults are `", "` and `": "`);
//! * `ensure_ascii=True`: DEL and every code point beyond ASCII is written as a lowercase
//!   `\uXXXX` escape, astral characters as a UTF-16 surrogate pair (`serde_json` itself already
//!   escapes quotes, backslashes and controls exactly as CPython does);
//! * floats use Python's `repr(float)`: the shortest digits that round-trip, in fixed notation
//!   (always with a fractional part) for decimal exponents in `-4..16`, otherwise in scientific
//!   notation with a signed, at least two-digit exponent (`1e+16`, `1e-05`).
//!
//! Object keys are written in insertion order, which `serde_json::Map` keeps because the crate
//! enables `preserve_order`, as CPython's `dict` does; or sorted, for `sort_keys=True`.
//!
//! Known, documented divergence: `serde_json::Serializer` turns NaN and infinities into `null`
//! *before* the formatter sees them, whereas CPython writes `NaN` / `Infinity`. A
//! `serde_json::Value` can never hold a non-finite number, so session data is unaffected.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

#[cfg(test)]
mod tests;

/// How Python's `json.dumps` was called: the separators and `sort_keys`. `ensure_ascii` is
/// always on (every framework we speak leaves it at its default, `True`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PyJsonStyle {
    /// Between items of arrays and objects.
    pub(crate) item_separator: &'static [u8],
    /// Between an object's key and its value.
    pub(crate) key_separator: &'static [u8],
    /// Object keys in code-point order, at every depth (Python's `sort_keys=True`).
    pub(crate) sort_keys: bool,
}

impl PyJsonStyle {
    /// `json.dumps(obj)`: Pyramid's payloads.
    pub(crate) const DEFAULT: Self = Self {
        item_separator: b", ",
        key_separator: b": ",
        sort_keys: false,
    };
    /// `json.dumps(obj, separators=(",", ":"))`: Django's `JSONSerializer`.
    pub(crate) const COMPACT: Self = Self {
        item_separator: b",",
        key_separator: b":",
        sort_keys: false,
    };
    /// `json.dumps(obj, separators=(",", ":"), sort_keys=True)`: Flask's session serializer.
    pub(crate) const COMPACT_SORTED: Self = Self {
        item_separator: b",",
        key_separator: b":",
        sort_keys: true,
    };
}

/// Writes `value` exactly as CPython's `json.dumps` called in `style` would.
///
/// With `sort_keys`, the keys of every object inside a [`serde_json::Value`] or
/// [`serde_json::Map`] are sorted (as Python sorts `str`: by code point, which is UTF-8 byte
/// order); a value of another type is written in its own field order.
pub(crate) fn to_writer_styled<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
    style: PyJsonStyle,
) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, PythonFormatter { style });
    if style.sort_keys {
        let value = serde_json::to_value(value)?;
        Sorted(&value).serialize(&mut serializer)
    } else {
        value.serialize(&mut serializer)
    }
}

/// A `Value` serialized with the keys of each object in sorted order.
struct Sorted<'a>(&'a serde_json::Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        use serde_json::Value;
        match self.0 {
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Sorted(value))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// Serializes `value` to a new buffer exactly as CPython's `json.dumps(value)` would (for the
/// tests; the formats stream through `to_writer_styled`).
#[cfg(test)]
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer_styled(&mut out, value, PyJsonStyle::DEFAULT)?;
    Ok(out)
}

/// Appends Python's `repr(value)`: the text `json.dumps` writes for a `float`. Non-finite input
/// never panics; it gets Python's `repr` (`nan`, `inf`, `-inf`), which is not JSON.
pub(crate) fn write_float_repr(out: &mut Vec<u8>, value: f64) {
    // Writing into a Vec cannot fail.
    let _ = write_repr(out, value);
}

/// A `serde_json` [`Formatter`] that writes what CPython's `json.dumps` writes in its style.
///
/// Integers and the escapes `serde_json` makes itself (quote, backslash, `\n` `\r` `\t` `\b`
/// `\f`, `\u00XX` in lowercase for other controls) are already CPython's; everything else that
/// differs is overridden.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PythonFormatter {
    style: PyJsonStyle,
}

impl Default for PythonFormatter {
    fn default() -> Self {
        Self {
            style: PyJsonStyle::DEFAULT,
        }
    }
}

impl Formatter for PythonFormatter {
    /// Python's `repr(float)`. A non-finite value is an error: `json.dumps` would write
    /// `NaN`/`Infinity`, which no conforming JSON reader accepts.
    fn write_f64<W>(&mut self, writer: &mut W, value: f64) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if !value.is_finite() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a non-finite float cannot be written as JSON a Python framework reads",
            ));
        }
        write_repr(writer, value)
    }

    /// Python has no single-precision float: an `f32` is widened to `f64` (as
    /// `serde_json::Value` does), so `0.1f32` becomes `0.10000000149011612`.
    fn write_f32<W>(&mut self, writer: &mut W, value: f32) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        self.write_f64(writer, f64::from(value))
    }

    /// Only reachable when some crate in the build enables `serde_json`'s `arbitrary_precision`
    /// feature. Re-renders the number as CPython would after `json.loads` (integers verbatim,
    /// everything else through `repr(float)`), so feature unification cannot change the signed
    /// bytes.
    fn write_number_str<W>(&mut self, writer: &mut W, value: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let digits = value.strip_prefix('-').unwrap_or(value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            // Python ints have no negative zero.
            if digits.bytes().all(|b| b == b'0') {
                return writer.write_all(b"0");
            }
            return writer.write_all(value.as_bytes());
        }
        match value.parse::<f64>() {
            Ok(parsed) => self.write_f64(writer, parsed),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid JSON number text",
            )),
        }
    }

    /// `ensure_ascii=True`. `serde_json` hands over only text that needs no JSON escaping (it
    /// escapes quotes, backslashes and controls itself), so what is left is DEL and everything
    /// beyond ASCII: `\uXXXX` per UTF-16 unit, so astral characters become surrogate pairs.
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // A max-reduction (vectorised, no early exit) answers for the common all-ASCII fragment.
        if fragment.bytes().fold(0, u8::max) < 0x7F {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain_from = 0;
        for (at, ch) in fragment.char_indices() {
            if ch < '\u{7f}' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_from..at])?;
            for unit in ch.encode_utf16(&mut [0; 2]) {
                let hex = |shift: u16| HEX[usize::from(*unit >> shift & 0xF)];
                writer.write_all(&[b'\\', b'u', hex(12), hex(8), hex(4), hex(0)])?;
            }
            plain_from = at + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }

    fn begin_array_value<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if first {
            Ok(())
        } else {
            writer.write_all(self.style.item_separator)
        }
    }

    fn begin_object_key<W>(&mut self, writer: &mut W, first: bool) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if first {
            Ok(())
        } else {
            writer.write_all(self.style.item_separator)
        }
    }

    fn begin_object_value<W>(&mut self, writer: &mut W) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        writer.write_all(self.style.key_separator)
    }
}

/// Lowercase hex digits, as CPython's escapes use.
const HEX: &[u8; 16] = b"0123456789abcdef";
/// Room for any float's shortest text: a sign, 17 digits, a point and `e-308` take 24 bytes.
const FLOAT_TEXT_CAP: usize = 32;
/// Zero padding: at most 15 zeros before a fixed-notation point, 3 after it.
const ZEROS: &[u8; 16] = b"0000000000000000";

/// Python's `repr(value)`.
///
/// The digits are the shortest that round-trip, from `serde_json`'s own float writer, which
/// (like CPython's `repr`) picks the one nearest the exact value and breaks exact ties to even:
/// the differential tests check it against CPython on tie-prone values. They are laid out as
/// CPython does (`float_repr_style = 'short'`).
fn write_repr<W: ?Sized + io::Write>(writer: &mut W, value: f64) -> io::Result<()> {
    if !value.is_finite() {
        let text: &[u8] = match value {
            v if v.is_nan() => b"nan",
            v if v < 0.0 => b"-inf",
            _ => b"inf",
        };
        return writer.write_all(text);
    }
    let mut text = [0u8; FLOAT_TEXT_CAP];
    let mut rest = &mut text[..];
    CompactFormatter.write_f64(&mut rest, value.abs())?;
    let text_len = FLOAT_TEXT_CAP - rest.len();
    let mut digits = [0u8; FLOAT_TEXT_CAP];
    let (digits, exp) = significant_digits(&text[..text_len], &mut digits);
    if value.is_sign_negative() {
        writer.write_all(b"-")?;
    }
    match exp {
        0..16 => {
            let (int, fraction) = digits.split_at(digits.len().min(exp as usize + 1));
            writer.write_all(int)?;
            writer.write_all(&ZEROS[..exp as usize + 1 - int.len()])?;
            writer.write_all(b".")?;
            writer.write_all(if fraction.is_empty() { b"0" } else { fraction })
        }
        -4..0 => {
            writer.write_all(b"0.")?;
            writer.write_all(&ZEROS[..(-exp - 1) as usize])?;
            writer.write_all(digits)
        }
        _ => {
            let (first, fraction) = digits.split_at(1);
            writer.write_all(first)?;
            if !fraction.is_empty() {
                writer.write_all(b".")?;
                writer.write_all(fraction)?;
            }
            let sign = if exp < 0 { '-' } else { '+' };
            write!(writer, "e{sign}{:02}", exp.unsigned_abs())
        }
    }
}

/// The significant digits of a non-negative number as `serde_json` writes it (`100.0`,
/// `0.0001`, `1700000000.25`, `1e16`, `1.5e-7`), without leading or trailing zeros (`0` for
/// zero), and the decimal exponent of the first one.
fn significant_digits<'a>(text: &[u8], digits: &'a mut [u8; FLOAT_TEXT_CAP]) -> (&'a [u8], i32) {
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(e) => {
            let exponent = std::str::from_utf8(&text[e + 1..]).ok();
            (
                &text[..e],
                exponent.and_then(|e| e.parse().ok()).unwrap_or(0),
            )
        }
        None => (text, 0),
    };
    let (mut len, mut leading_zeros, mut point) = (0, 0, None);
    for &b in mantissa {
        if b == b'.' {
            point = Some(leading_zeros + len);
        } else if b == b'0' && len == 0 {
            leading_zeros += 1;
        } else if let Some(slot) = digits.get_mut(len) {
            *slot = b;
            len += 1;
        }
    }
    let point = point.unwrap_or(leading_zeros + len) as i32;
    while len > 0 && digits[len - 1] == b'0' {
        len -= 1;
    }
    if len == 0 {
        digits[0] = b'0';
        return (&digits[..1], 0);
    }
    (&digits[..len], point + exponent - 1 - leading_zeros as i32)
}
