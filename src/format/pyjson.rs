//! Byte-exact reproduction of CPython's `json.dumps(obj)` with default
//! arguments.
//!
//! Pyramid's session factories serialize the session with
//! `json.dumps(...)` and then sign the *resulting bytes*. For a Rust writer
//! to mint the very cookie Pyramid would mint for the same session (same
//! payload, same signature, checkable against cookies captured from a real
//! Pyramid application), it has to produce exactly the bytes CPython
//! produces. `serde_json`'s compact output differs from CPython's in three
//! ways, all fixed here:
//!
//! * separators are `", "` and `": "` (CPython's defaults when `indent` is
//!   `None`), not `","` and `":"`;
//! * `ensure_ascii=True`: every code point outside printable ASCII (`0x20..=0x7E`)
//!   is written as a lowercase `\uXXXX` escape, astral characters as a UTF-16
//!   surrogate pair, and DEL (`0x7F`) is escaped too;
//! * floats use Python's `repr(float)`: shortest round-trip digits, fixed
//!   notation (always with a fractional part) for decimal exponents in
//!   `-4..16`, scientific notation with a signed, at-least-two-digit exponent
//!   otherwise (`1e+16`, `1e-05`).
//!
//! Object keys are written in insertion order, which `serde_json::Map` keeps
//! because the crate enables `preserve_order`; CPython's `dict` keeps
//! insertion order as well.
//!
//! Known, documented divergence: `serde_json::Serializer` turns NaN and
//! infinities into `null` *before* the formatter sees them, whereas CPython
//! writes `NaN` / `Infinity`. A `serde_json::Value` can never hold a
//! non-finite number, so session data built from `Value`s is unaffected.

use std::fmt;
use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

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

/// Writes `value` exactly as CPython's `json.dumps(value)` would.
///
/// The output is pure ASCII. This is the form Pyramid signs, so these bytes
/// (not a re-encoding of them) are what must go into the signature input.
pub(crate) fn to_writer<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    to_writer_styled(writer, value, PyJsonStyle::DEFAULT)
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
/// tests; the Pyramid writer streams through `to_writer`).
#[cfg(test)]
pub(crate) fn to_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// Python `repr()` of a finite f64, appended to `out`.
///
/// This is the text CPython's `json.dumps` emits for a `float`, so it is what
/// ends up inside Pyramid's signed payload. Non-finite input never panics: it
/// appends Python's `repr` of it (`nan`, `inf`, `-inf`), which is *not* what
/// `json.dumps` would write; callers that need JSON must reject such values
/// first.
pub(crate) fn write_float_repr(out: &mut Vec<u8>, value: f64) {
    let mut buf = ReprBuf::new();
    out.extend_from_slice(buf.format(value));
}

/// A `serde_json` [`Formatter`] that reproduces CPython's default
/// `json.dumps` output byte for byte (see the module docs for why Pyramid
/// interoperability needs that).
///
/// Integers use `serde_json`'s default (plain decimal, identical to Python's
/// `int.__repr__`); everything that differs from CPython is overridden.
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
    /// Python's `repr(float)`; non-finite values are rejected with an error
    /// because `json.dumps` would write `NaN`/`Infinity`, which no conforming
    /// JSON reader (and no signed Pyramid cookie we want to mint) accepts.
    #[inline]
    fn write_f64<W>(&mut self, writer: &mut W, value: f64) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if !value.is_finite() {
            return Err(non_finite_error());
        }
        let mut buf = ReprBuf::new();
        writer.write_all(buf.format(value))
    }

    /// Python has no single-precision float: an `f32` is widened to `f64`
    /// (as `serde_json::Value` does) and written as Python would write that
    /// double, e.g. `0.1f32` becomes `0.10000000149011612`.
    #[inline]
    fn write_f32<W>(&mut self, writer: &mut W, value: f32) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        self.write_f64(writer, f64::from(value))
    }

    /// Only reachable when some crate in the build enables `serde_json`'s
    /// `arbitrary_precision` feature. Re-renders the number the way CPython
    /// would after `json.loads` (integers verbatim, everything else through
    /// `repr(float)`), so feature unification cannot change the signed bytes.
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

    /// String contents with `ensure_ascii=True` escaping (see
    /// [`write_escaped_str`]).
    #[inline]
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // `serde_json` only hands over fragments that need no JSON escaping (no quote,
        // backslash or control), so below DEL nothing is left to escape. A max-reduction
        // (vectorised, no early exit) answers that for the common all-ASCII fragment.
        if fragment.bytes().fold(0, u8::max) < 0x7F {
            return writer.write_all(fragment.as_bytes());
        }
        write_escaped_str(writer, fragment)
    }

    /// The escapes `serde_json` itself detects (quote, backslash, controls),
    /// spelled the way CPython spells them. `/` is never escaped by CPython.
    #[inline]
    fn write_char_escape<W>(&mut self, writer: &mut W, char_escape: CharEscape) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let byte = match char_escape {
            CharEscape::Quote => b'"',
            CharEscape::ReverseSolidus => b'\\',
            CharEscape::Solidus => b'/',
            CharEscape::Backspace => 0x08,
            CharEscape::FormFeed => 0x0C,
            CharEscape::LineFeed => b'\n',
            CharEscape::CarriageReturn => b'\r',
            CharEscape::Tab => b'\t',
            CharEscape::AsciiControl(byte) => byte,
        };
        let mut out = [0u8; 6];
        let len = ascii_escape(byte, &mut out);
        writer.write_all(out.get(..len).unwrap_or(&[]))
    }

    /// The style's item separator (CPython's default is `", "`).
    #[inline]
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

    /// The style's item separator (CPython's default is `", "`).
    #[inline]
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

    /// The style's key separator (CPython's default is `": "`).
    #[inline]
    fn begin_object_value<W>(&mut self, writer: &mut W) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        writer.write_all(self.style.key_separator)
    }
}

/// The error returned for NaN/infinity, which Pyramid-compatible output
/// cannot contain (CPython would emit the non-JSON tokens `NaN`/`Infinity`).
fn non_finite_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "non-finite float cannot be written as Pyramid-compatible JSON",
    )
}

/// Lowercase hex digits; CPython's `ensure_ascii` escapes use lowercase.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Per-byte class for [`write_escaped_str`]: `PLAIN` bytes are copied in
/// runs, `ESC` bytes (ASCII needing an escape) go through [`ascii_escape`],
/// `MULTI` bytes start (or continue) a non-ASCII UTF-8 sequence.
const PLAIN: u8 = 0;
/// See [`PLAIN`].
const ESC: u8 = 1;
/// See [`PLAIN`].
const MULTI: u8 = 2;

/// Byte classes matching CPython's `S_CHAR`: only `' '..='~'` minus `"` and
/// `\` pass through unescaped, so controls and DEL are escaped.
static CLASS: [u8; 256] = {
    let mut table = [MULTI; 256];
    let mut b = 0;
    while b < 0x80 {
        table[b] = if b < 0x20 || b == 0x7F || b == b'"' as usize || b == b'\\' as usize {
            ESC
        } else {
            PLAIN
        };
        b += 1;
    }
    table
};

/// Writes the escape of an ASCII byte into `out` and returns its length,
/// using CPython's short escapes where it has one and `\u00xx` otherwise.
/// Printable bytes (only reachable via `CharEscape::Solidus`) are copied.
#[inline]
fn ascii_escape(byte: u8, out: &mut [u8; 6]) -> usize {
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0C => b'f',
        0x20..=0x7E => {
            out[0] = byte;
            return 1;
        }
        _ => {
            *out = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ];
            return 6;
        }
    };
    out[0] = b'\\';
    out[1] = short;
    2
}

/// Appends `\uXXXX` (lowercase hex) for one UTF-16 code unit.
#[inline]
fn push_u16_escape(pending: &mut EscapeBuf, unit: u32) {
    pending.push(&[
        b'\\',
        b'u',
        HEX[((unit >> 12) & 0xF) as usize],
        HEX[((unit >> 8) & 0xF) as usize],
        HEX[((unit >> 4) & 0xF) as usize],
        HEX[(unit & 0xF) as usize],
    ]);
}

/// Small stack buffer that batches consecutive escapes (e.g. a run of CJK
/// text) into one `write_all`, so escaping never allocates and does not issue
/// one write per character.
struct EscapeBuf {
    /// Pending escaped bytes.
    buf: [u8; 120],
    /// Number of valid bytes in `buf`.
    len: usize,
}

impl EscapeBuf {
    /// An empty buffer.
    #[inline]
    fn new() -> Self {
        Self {
            buf: [0; 120],
            len: 0,
        }
    }

    /// Whether `extra` more bytes fit without flushing.
    #[inline]
    fn has_room(&self, extra: usize) -> bool {
        self.len + extra <= self.buf.len()
    }

    /// Appends bytes; callers guarantee room via [`EscapeBuf::has_room`]
    /// (an escape is at most 12 bytes), excess is dropped rather than
    /// panicking.
    #[inline]
    fn push(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    /// Writes out and clears pending bytes.
    #[inline]
    fn flush<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.len > 0 {
            writer.write_all(self.buf.get(..self.len).unwrap_or(&[]))?;
            self.len = 0;
        }
        Ok(())
    }
}

/// Position of the first byte that is not [`PLAIN`]. Eight bytes at a time:
/// session strings are long runs of plain ASCII, and a byte-by-byte table
/// walk over them was the largest cost of writing a Pyramid cookie after the
/// signature itself.
fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// Whether some byte of `word` is below `n` (for `n <= 0x80`): exact as a
    /// yes/no answer, the classic bit trick.
    fn has_below(word: u64, n: u8) -> bool {
        word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS != 0
    }
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        // A byte >= 0x7F (DEL or non-ASCII) sets its high bit in `word` or
        // in `word + 1` (a carry only leaves a byte that is 0xFF, already
        // flagged); below 0x20 is a control; `"` and `\` are equalities.
        let special = (word | word.wrapping_add(ONES)) & HIGHS != 0
            || has_below(word, 0x20)
            || has_below(word ^ (ONES * u64::from(b'"')), 1)
            || has_below(word ^ (ONES * u64::from(b'\\')), 1);
        if special {
            break;
        }
        offset += 8;
    }
    bytes
        .get(offset..)?
        .iter()
        .position(|&b| CLASS[usize::from(b)] != PLAIN)
        .map(|at| offset + at)
}

/// Writes string contents with CPython's `ensure_ascii=True` rules: runs of
/// printable ASCII are written straight from the input in one call; escapes
/// are batched in a stack buffer. Non-BMP characters become surrogate pairs
/// (`😀` → `\ud83d\ude00`), exactly as CPython's UTF-16-based escaper does.
fn write_escaped_str<W: ?Sized + io::Write>(writer: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    // Fast path: most keys and values need no escaping at all.
    let Some(first_special) = first_special(bytes) else {
        return writer.write_all(bytes);
    };
    let mut pending = EscapeBuf::new();
    let mut run_start = 0;
    let mut i = first_special;
    while let Some(&byte) = bytes.get(i) {
        let class = CLASS[usize::from(byte)];
        if class == PLAIN {
            i += 1;
            continue;
        }
        if run_start < i {
            pending.flush(writer)?;
            writer.write_all(bytes.get(run_start..i).unwrap_or(&[]))?;
        }
        if !pending.has_room(12) {
            pending.flush(writer)?;
        }
        if class == ESC {
            let mut out = [0u8; 6];
            let len = ascii_escape(byte, &mut out);
            pending.push(out.get(..len).unwrap_or(&[]));
            i += 1;
        } else {
            // `i` only ever advances by whole characters, so it is a char
            // boundary; the fallback is unreachable but avoids any panic.
            let Some(ch) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "string split inside a UTF-8 sequence",
                ));
            };
            let code = u32::from(ch);
            if code < 0x1_0000 {
                push_u16_escape(&mut pending, code);
            } else {
                let offset = code - 0x1_0000;
                push_u16_escape(&mut pending, 0xD800 | (offset >> 10));
                push_u16_escape(&mut pending, 0xDC00 | (offset & 0x3FF));
            }
            i += ch.len_utf8();
        }
        run_start = i;
    }
    pending.flush(writer)?;
    if run_start < bytes.len() {
        writer.write_all(bytes.get(run_start..).unwrap_or(&[]))?;
    }
    Ok(())
}

/// Upper bound on a Python float repr: sign, 17 significant digits, point,
/// `e`, exponent sign and three exponent digits, or `-0.000` plus 17 digits;
/// both are at most 24 bytes. Rust's `{:e}` text of an absolute value is
/// shorter still.
const REPR_CAP: usize = 32;

/// Stack scratch space for formatting one float without allocating.
struct ReprBuf {
    /// Scratch for Rust's `{:e}` renderings of the absolute value.
    sci: [u8; REPR_CAP],
    /// The Python-style rendering returned to the caller.
    out: [u8; REPR_CAP],
}

/// `fmt::Write` sink over a fixed slice. Overflow reports `fmt::Error`
/// instead of panicking (it cannot happen with [`REPR_CAP`]-sized buffers).
struct SliceWriter<'a> {
    /// Destination.
    buf: &'a mut [u8],
    /// Bytes written so far.
    len: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let dst = self
            .buf
            .get_mut(self.len..self.len + s.len())
            .ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// Renders `args` into `buf` and returns the written prefix (empty on the
/// unreachable overflow, which then degrades to `0.0` rather than panicking).
fn render<'a>(buf: &'a mut [u8; REPR_CAP], args: fmt::Arguments<'_>) -> &'a [u8] {
    let mut sink = SliceWriter {
        buf: &mut buf[..],
        len: 0,
    };
    let len = match fmt::write(&mut sink, args) {
        Ok(()) => sink.len,
        Err(_) => 0,
    };
    buf.get(..len).unwrap_or(&[])
}

/// The shortest round-trip decimal text of a finite `value`, as `serde_json`
/// writes it, in `buf` (`None` on the unreachable overflow).
fn shortest_text(buf: &mut [u8; REPR_CAP], value: f64) -> Option<&[u8]> {
    let mut rest = &mut buf[..];
    serde_json::ser::CompactFormatter
        .write_f64(&mut rest, value)
        .ok()?;
    let len = REPR_CAP - rest.len();
    buf.get(..len)
}

/// A positive decimal `0.d1d2d3… × 10^(exp + 1)`, i.e. `d1.d2d3… × 10^exp`.
struct Decimal {
    /// ASCII significant digits, no trailing zeros (at least one digit).
    digits: [u8; REPR_CAP],
    /// Number of valid entries in `digits`.
    len: usize,
    /// Decimal exponent of the first digit.
    exp: i32,
}

impl Decimal {
    /// Parses a decimal number as Rust's `{:e}` (`1.5e-5`, `1e16`, `0e0`) or
    /// `serde_json` (`1700000000.25`, `0.0001`, `1e16`, `1.5e-5`) write a
    /// non-negative finite number. `None` when it has more digits than fit
    /// (never for those writers); never panics on unexpected input.
    fn parse(text: &[u8]) -> Option<Self> {
        let (mantissa, exp_text) = match text.iter().position(|&b| b == b'e' || b == b'E') {
            Some(pos) => (
                text.get(..pos).unwrap_or(&[]),
                text.get(pos + 1..).unwrap_or(&[]),
            ),
            None => (text, &[][..]),
        };
        let mut digits = [0u8; REPR_CAP];
        let mut len = 0;
        // Digits before the point, and zeros before the first significant digit.
        let mut int_len = 0i32;
        let mut leading_zeros = 0i32;
        let mut after_point = false;
        for &b in mantissa {
            if b == b'.' {
                after_point = true;
            } else if b.is_ascii_digit() {
                int_len += i32::from(!after_point);
                if len == 0 && b == b'0' {
                    leading_zeros += 1;
                } else {
                    *digits.get_mut(len)? = b;
                    len += 1;
                }
            }
        }
        // Python's digit strings never end in zeros (`1e+16`, not `1.0e+16`).
        while len > 1 && digits.get(len - 1) == Some(&b'0') {
            len -= 1;
        }
        if len == 0 {
            return Some(Self::zero());
        }
        let (exp_negative, exp_digits) = match exp_text.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, exp_text),
        };
        let exp_abs = exp_digits.iter().fold(0i32, |acc, &b| {
            acc.saturating_mul(10)
                .saturating_add(i32::from(b.wrapping_sub(b'0') % 10))
        });
        let exp10 = if exp_negative { -exp_abs } else { exp_abs };
        let exp = int_len
            .saturating_add(exp10)
            .saturating_sub(1)
            .saturating_sub(leading_zeros);
        Some(Self { digits, len, exp })
    }

    /// Zero: the single digit `0`.
    fn zero() -> Self {
        let mut digits = [0u8; REPR_CAP];
        digits[0] = b'0';
        Self {
            digits,
            len: 1,
            exp: 0,
        }
    }

    /// The significant digits.
    fn digits(&self) -> &[u8] {
        self.digits.get(..self.len).unwrap_or(b"0")
    }
}

/// Whether the exact value of the finite, non-negative `abs` could lie
/// exactly halfway between two `shortest.len`-digit decimals (see
/// [`ReprBuf::shortest`]). Integers and values with long binary fractions
/// (almost all non-integers, and every subnormal) never can.
fn may_tie(abs: f64, shortest: &Decimal) -> bool {
    let bits = abs.to_bits();
    let biased_exp = ((bits >> 52) & 0x7FF) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exp2) = if biased_exp == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased_exp - 1075)
    };
    if mantissa == 0 {
        return false;
    }
    // Number of fractional bits, i.e. of fractional decimal digits.
    let frac_digits = -(exp2 + mantissa.trailing_zeros() as i32);
    if frac_digits <= 0 {
        return false;
    }
    // `shortest.exp` is the exact value's decimal exponent whenever there
    // are at least two digits (rounding across a power of ten would have
    // produced the one-digit `1eN`, which is shorter).
    let n = i32::try_from(shortest.len).unwrap_or(i32::MAX);
    shortest.len >= 16 && frac_digits + shortest.exp == n
}

impl ReprBuf {
    /// Fresh scratch space.
    #[inline]
    fn new() -> Self {
        Self {
            sci: [0; REPR_CAP],
            out: [0; REPR_CAP],
        }
    }

    /// Shortest round-trip digits of a finite, non-negative `abs`, chosen
    /// the way CPython's `repr` (David Gay's `dtoa` mode 0) chooses them:
    /// among the shortest strings that round-trip, the one nearest to the
    /// exact value, ties to an even last digit.
    ///
    /// The shortest digits come from `serde_json`'s own float writer (the
    /// same one the rest of the JSON goes through, several times faster than
    /// `format!("{:e}")`); any shortest round-trip algorithm gives the same
    /// digits except, possibly, on exact ties, which are settled below.
    /// (Checked against `{:e}` plus this tie rule on 50 million values, and
    /// against CPython by the tests.)
    ///
    /// Rust's `{:e}` also gives the shortest length, but when the exact
    /// value lies exactly halfway between two shortest candidates it may pick
    /// the other one (`1402503115706520.25` → Rust `…520.3`, CPython
    /// `…520.2`). A tie at `n` digits means the exact binary value is a
    /// terminating decimal of exactly `n + 1` significant digits (the last
    /// being 5). A value with `t` fractional bits has exactly `t` fractional
    /// decimal digits, so its exact expansion has `t + e + 1` significant
    /// digits (`e` = decimal exponent), which must equal `n + 1`. Two
    /// `n`-digit candidates can also only both round-trip when the unit of
    /// the last digit is at most one binary ulp (`10^-n < 2^-52`), so
    /// `n >= 16`. Only values passing both tests take the slow path: Rust's correctly rounded
    /// (ties-to-even) fixed-precision output, used when it still round-trips.
    fn shortest(&mut self, abs: f64) -> Decimal {
        let shortest = shortest_text(&mut self.sci, abs)
            .and_then(Decimal::parse)
            .or_else(|| Decimal::parse(render(&mut self.sci, format_args!("{abs:e}"))))
            .unwrap_or_else(Decimal::zero);
        if !may_tie(abs, &shortest) {
            return shortest;
        }
        let precision = shortest.len - 1;
        let exact = render(&mut self.sci, format_args!("{abs:.precision$e}"));
        let round_trips = std::str::from_utf8(exact)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .is_some_and(|parsed| parsed.to_bits() == abs.to_bits());
        match Decimal::parse(exact) {
            Some(exact) if round_trips => exact,
            _ => shortest,
        }
    }

    /// Python `repr(value)`, borrowed from this buffer.
    ///
    /// Digits come from [`ReprBuf::shortest`]; they are then laid out by
    /// CPython's `float_repr_style = 'short'` rules: fixed notation with a
    /// mandatory fractional part for decimal exponents in `-4..16`,
    /// otherwise `d[.ddd]e±XX`.
    fn format(&mut self, value: f64) -> &[u8] {
        if value.is_nan() {
            return b"nan";
        }
        if value.is_infinite() {
            return if value.is_sign_negative() {
                b"-inf"
            } else {
                b"inf"
            };
        }

        if let Some(len) = self.plain_fast_path(value) {
            return self.out.get(..len).unwrap_or(&[]);
        }
        self.format_by_digits(value)
    }

    /// The common case without the digit-by-digit layout: `serde_json`
    /// writes fixed notation exactly as Python does (`1700000000.25`,
    /// `100.0`, `0.0001`), so its text is taken as it is when it is in fixed
    /// notation, Python would use fixed notation too (decimal exponent in
    /// `-4..16`), and it has fewer than 16 significant digits, so no tie
    /// between two shortest candidates is possible (see
    /// [`ReprBuf::shortest`]). Returns the length written to `self.out`, or
    /// `None` for everything else.
    fn plain_fast_path(&mut self, value: f64) -> Option<usize> {
        let text = shortest_text(&mut self.sci, value.abs())?;
        let point = text.iter().position(|&b| b == b'.')?;
        if point + 1 >= text.len() || !text.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        let leading_zeros = text
            .iter()
            .take_while(|&&b| b == b'0' || b == b'.')
            .filter(|&&b| b == b'0')
            .count();
        let significant = text.len() - 1 - leading_zeros;
        if significant >= 16 {
            return None;
        }
        let in_fixed_range = if text.first() == Some(&b'0') {
            // `0.000ddd` has exponent -4; one more zero and Python switches to `e-05`. Zero
            // itself ("0.0") is fixed too.
            leading_zeros <= 4 || significant == 0
        } else {
            point <= 16
        };
        if !in_fixed_range {
            return None;
        }
        let sign = usize::from(value.is_sign_negative());
        let out = self.out.get_mut(..sign + text.len())?;
        out[sign..].copy_from_slice(text);
        if sign == 1 {
            out[0] = b'-';
        }
        Some(sign + text.len())
    }

    /// Python's layout from the shortest digits, for every finite value.
    fn format_by_digits(&mut self, value: f64) -> &[u8] {
        let decimal = self.shortest(value.abs());
        let digits = decimal.digits();
        let exp = decimal.exp;

        let mut w = OutCursor {
            buf: &mut self.out,
            len: 0,
        };
        if value.is_sign_negative() {
            w.push(b'-');
        }
        if (-4..16).contains(&exp) {
            if exp >= 0 {
                // Integer part: digits[0..=exp], zero-padded.
                let int_len = exp.unsigned_abs() as usize + 1;
                for idx in 0..int_len {
                    w.push(digits.get(idx).copied().unwrap_or(b'0'));
                }
                w.push(b'.');
                match digits.get(int_len..) {
                    Some(frac) if !frac.is_empty() => w.extend(frac),
                    _ => w.push(b'0'),
                }
            } else {
                w.extend(b"0.");
                for _ in 0..(-exp - 1) {
                    w.push(b'0');
                }
                w.extend(digits);
            }
        } else {
            w.extend(digits.get(..1).unwrap_or(b"0"));
            if let Some(frac) = digits.get(1..).filter(|frac| !frac.is_empty()) {
                w.push(b'.');
                w.extend(frac);
            }
            w.push(b'e');
            w.push(if exp < 0 { b'-' } else { b'+' });
            let magnitude = exp.unsigned_abs();
            if magnitude >= 100 {
                w.push(b'0' + (magnitude / 100 % 10) as u8);
            }
            w.push(b'0' + (magnitude / 10 % 10) as u8);
            w.push(b'0' + (magnitude % 10) as u8);
        }
        let len = w.len;
        self.out.get(..len).unwrap_or(&[])
    }
}

/// Append-only cursor over the repr output buffer; bytes past the end are
/// dropped instead of panicking (unreachable given [`REPR_CAP`]).
struct OutCursor<'a> {
    /// Destination.
    buf: &'a mut [u8; REPR_CAP],
    /// Bytes written so far.
    len: usize,
}

impl OutCursor<'_> {
    /// Appends one byte.
    #[inline]
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// Appends a slice.
    #[inline]
    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Serializes through the Python formatter and returns the text.
    fn dumps<T: Serialize + ?Sized>(value: &T) -> String {
        String::from_utf8(to_vec(value).expect("serializable")).expect("ascii output")
    }

    /// `repr(value)` via [`write_float_repr`].
    fn repr(value: f64) -> String {
        let mut out = Vec::new();
        write_float_repr(&mut out, value);
        String::from_utf8(out).expect("ascii output")
    }

    #[test]
    fn styles_match_cpython_separators_and_sort_keys() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,2.5,{"z":1,"a":"é"}],"a":null}"#).unwrap();
        let styled = |style| {
            let mut out = Vec::new();
            to_writer_styled(&mut out, &value, style).unwrap();
            String::from_utf8(out).unwrap()
        };
        // json.dumps(v, separators=(",", ":"), sort_keys=True) and without sort_keys.
        assert_eq!(
            styled(PyJsonStyle::COMPACT_SORTED),
            r#"{"a":null,"b":[1,2.5,{"a":"\u00e9","z":1}]}"#
        );
        assert_eq!(
            styled(PyJsonStyle::COMPACT),
            r#"{"b":[1,2.5,{"z":1,"a":"\u00e9"}],"a":null}"#
        );
        assert_eq!(
            styled(PyJsonStyle::DEFAULT),
            r#"{"b": [1, 2.5, {"z": 1, "a": "\u00e9"}], "a": null}"#
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(dumps(&Value::Null), "null");
        assert_eq!(dumps(&true), "true");
        assert_eq!(dumps(&false), "false");
        assert_eq!(dumps(&0), "0");
        assert_eq!(dumps(&-1), "-1");
    }

    #[test]
    fn integers_extremes() {
        assert_eq!(dumps(&i64::MIN), "-9223372036854775808");
        assert_eq!(dumps(&u64::MAX), "18446744073709551615");
        assert_eq!(dumps(&i128::MAX), "170141183460469231731687303715884105727");
        assert_eq!(
            dumps(&i128::MIN),
            "-170141183460469231731687303715884105728"
        );
        assert_eq!(dumps(&u128::MAX), "340282366920938463463374607431768211455");
        // python3 -c 'import json; print(json.dumps([-9223372036854775808, 18446744073709551615, 0, -1]))'
        let list = json!([i64::MIN, u64::MAX, 0, -1]);
        assert_eq!(
            dumps(&list),
            "[-9223372036854775808, 18446744073709551615, 0, -1]"
        );
    }

    #[test]
    fn string_escapes_match_cpython() {
        // Expected values are CPython 3.11 `json.dumps(s)` outputs.
        let cases: &[(&str, &str)] = &[
            ("", r#""""#),
            ("plain ascii", r#""plain ascii""#),
            ("quote\"back\\slash/", r#""quote\"back\\slash/""#),
            ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
            (
                "\u{0}\u{1}\u{1f}\u{b}\u{7f} ~",
                r#""\u0000\u0001\u001f\u000b\u007f ~""#,
            ),
            ("caf\u{e9}", r#""caf\u00e9""#),
            ("\u{2028}\u{2029}", r#""\u2028\u2029""#),
            (
                "\u{a0}\u{ff}\u{100}\u{fff}\u{ffff}",
                r#""\u00a0\u00ff\u0100\u0fff\uffff""#,
            ),
            ("😀", r#""\ud83d\ude00""#),
            ("a\u{10ffff}b\u{10000}", r#""a\udbff\udfffb\ud800\udc00""#),
            ("mixed 😀 é\n\"x\"", r#""mixed \ud83d\ude00 \u00e9\n\"x\"""#),
            ("日本語", r#""\u65e5\u672c\u8a9e""#),
            ("\u{e000}\u{feff}", r#""\ue000\ufeff""#),
        ];
        for (input, expected) in cases {
            assert_eq!(dumps(*input), *expected, "input {input:?}");
            assert_eq!(dumps(&Value::from(*input)), *expected, "input {input:?}");
        }
    }

    #[test]
    fn every_control_char_and_del() {
        let input: String = (0u8..0x20).chain([0x7F]).map(char::from).collect();
        // python3 -c 'import json; print(json.dumps("".join(map(chr, [*range(32), 127]))))'
        let expected = concat!(
            r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r"#,
            r#"\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018"#,
            r#"\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f""#,
        );
        assert_eq!(dumps(&input), expected);
    }

    #[test]
    fn long_escape_runs_flush_correctly() {
        // More escapes than fit in one EscapeBuf, interleaved with ASCII.
        let input = "é".repeat(50) + "x" + &"😀".repeat(30) + "\"";
        let expected = format!(
            "\"{}x{}\\\"\"",
            "\\u00e9".repeat(50),
            "\\ud83d\\ude00".repeat(30)
        );
        assert_eq!(dumps(&input), expected);
    }

    #[test]
    fn char_and_solidus_escape() {
        assert_eq!(dumps(&'\u{7f}'), r#""\u007f""#);
        assert_eq!(dumps(&'😀'), r#""\ud83d\ude00""#);
        let mut out = Vec::new();
        PythonFormatter::default()
            .write_char_escape(&mut out, CharEscape::Solidus)
            .expect("vec write");
        PythonFormatter::default()
            .write_char_escape(&mut out, CharEscape::AsciiControl(0x1b))
            .expect("vec write");
        PythonFormatter::default()
            .write_char_escape(&mut out, CharEscape::AsciiControl(b'\n'))
            .expect("vec write");
        assert_eq!(out, b"/\\u001b\\n");
    }

    #[test]
    fn nested_structures_and_key_order() {
        // python3 -c 'import json; print(json.dumps({"b": 1, "a": [1, 2.5, None, True, False, {}, []], "c": {"z": {"y": []}, "x": "v"}}))'
        let value = json!({
            "b": 1,
            "a": [1, 2.5, null, true, false, {}, []],
            "c": {"z": {"y": []}, "x": "v"}
        });
        assert_eq!(
            dumps(&value),
            r#"{"b": 1, "a": [1, 2.5, null, true, false, {}, []], "c": {"z": {"y": []}, "x": "v"}}"#
        );
        assert_eq!(dumps(&json!({})), "{}");
        assert_eq!(dumps(&json!([])), "[]");
        assert_eq!(dumps(&json!([[]])), "[[]]");
        assert_eq!(dumps(&json!([{}, {}])), "[{}, {}]");
        assert_eq!(
            dumps(&json!({"k\u{e9}y\n": "v", "1": 1})),
            r#"{"k\u00e9y\n": "v", "1": 1}"#
        );
    }

    #[test]
    fn non_string_map_keys() {
        // python3 -c 'import json; print(json.dumps({1: 2, 1.5: 3, 1e16: 5}))'
        let mut map = std::collections::BTreeMap::new();
        map.insert(1, 2);
        assert_eq!(dumps(&map), r#"{"1": 2}"#);
        let pairs: Vec<(f64, i32)> = vec![(1.5, 3), (1e16, 5)];
        let ordered: indexmap_free::Pairs = indexmap_free::Pairs(pairs);
        assert_eq!(dumps(&ordered), r#"{"1.5": 3, "1e+16": 5}"#);
    }

    /// Minimal ordered map of float keys, avoiding extra dev-dependencies.
    mod indexmap_free {
        use serde::ser::{Serialize, SerializeMap, Serializer};

        /// Serializes as a map in vector order.
        pub(super) struct Pairs(pub(super) Vec<(f64, i32)>);

        impl Serialize for Pairs {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (k, v) in &self.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }

    #[test]
    fn struct_serialization() {
        #[derive(Serialize)]
        struct Session {
            user: &'static str,
            created: f64,
            ids: Vec<u32>,
        }
        let s = Session {
            user: "ann/é",
            created: 1_700_000_000.123_456,
            ids: vec![1, 2],
        };
        assert_eq!(
            dumps(&s),
            r#"{"user": "ann/\u00e9", "created": 1700000000.123456, "ids": [1, 2]}"#
        );
    }

    /// `(value, CPython 3.11 repr(value))`, from
    /// `python3 -c 'print(repr(v))'`.
    const FLOAT_CASES: &[(f64, &str)] = &[
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (9999999999999998.0, "9999999999999998.0"),
        (1e22, "1e+22"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.7976931348623157e308, "-1.7976931348623157e+308"),
        (0.1, "0.1"),
        (1.0 / 3.0, "0.3333333333333333"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (123456789.125, "123456789.125"),
        (1e-7, "1e-07"),
        (1.5e-5, "1.5e-05"),
        (1.2345678901234568e17, "1.2345678901234568e+17"),
        (2.0, "2.0"),
        (1700000000.123456, "1700000000.123456"),
        (1.0, "1.0"),
        (-1.0, "-1.0"),
        (0.5, "0.5"),
        (1e100, "1e+100"),
        (1e-100, "1e-100"),
        (2.2250738585072014e-308, "2.2250738585072014e-308"),
        (2.225073858507201e-308, "2.225073858507201e-308"),
        (1e21, "1e+21"),
        (1e23, "1e+23"),
        (0.00012345, "0.00012345"),
        (0.000012345, "1.2345e-05"),
        (9.999999999999999e-5, "9.999999999999999e-05"),
        (0.001, "0.001"),
        (12345.6789, "12345.6789"),
        (-1.5e-10, "-1.5e-10"),
        (std::f64::consts::PI, "3.141592653589793"),
        (std::f64::consts::E, "2.718281828459045"),
        (1.0000000000000002e16, "1.0000000000000002e+16"),
        (9007199254740992.0, "9007199254740992.0"),
        (4503599627370496.0, "4503599627370496.0"),
        (0.30000000000000004, "0.30000000000000004"),
        (100.0, "100.0"),
        (1e300, "1e+300"),
        (6.02214076e23, "6.02214076e+23"),
        (1.602176634e-19, "1.602176634e-19"),
        (299792458.0, "299792458.0"),
        (65536.0, "65536.0"),
        (-123.456, "-123.456"),
        (5e-5, "5e-05"),
        (9.999e-5, "9.999e-05"),
        (9.9999e-5, "9.9999e-05"),
        (1234567890123456.8, "1234567890123456.8"),
        (1.2345678901234568e16, "1.2345678901234568e+16"),
        (-0.0001, "-0.0001"),
        (-1e16, "-1e+16"),
        (1.5, "1.5"),
        // Exact ties between two shortest candidates: CPython picks the even
        // last digit where Rust's `{:e}` rounds up. (Written as sums because
        // these exact literals trip `clippy::excessive_precision`.)
        (1402503115706520.0 + 0.25, "1402503115706520.2"),
        (-1341538170625153.0 - 0.25, "-1341538170625153.2"),
        (562949953421312.0 + 0.25, "562949953421312.2"),
        (562949953421312.0 + 0.75, "562949953421312.8"),
        (600000000000000.0 + 0.25, "600000000000000.2"),
        (900719925474099.0 + 0.25, "900719925474099.2"),
        (500000000000000.0 + 0.25, "500000000000000.25"),
        (0.5 + 1.0 / 131_072.0, "0.5000076293945312"),
        (0.5 + 3.0 / 131_072.0, "0.5000228881835938"),
        (0.75 + 1.0 / 1_048_576.0, "0.7500009536743164"),
        (1125899906842624.5, "1125899906842624.5"),
        (4503599627370495.5, "4503599627370495.5"),
    ];

    #[test]
    fn float_repr_matches_cpython() {
        for &(value, expected) in FLOAT_CASES {
            assert_eq!(repr(value), expected, "bits {:#018x}", value.to_bits());
            assert_eq!(dumps(&value), expected, "bits {:#018x}", value.to_bits());
            assert_eq!(
                dumps(&Value::from(value)),
                expected,
                "bits {:#018x}",
                value.to_bits()
            );
        }
    }

    #[test]
    fn float_list_layout() {
        // python3 -c 'import json; print(json.dumps([0.1, 1e16, -0.0, 2.0]))'
        assert_eq!(
            dumps(&json!([0.1, 1e16, -0.0, 2.0])),
            "[0.1, 1e+16, -0.0, 2.0]"
        );
    }

    #[test]
    fn write_float_repr_appends() {
        let mut out = b"x=".to_vec();
        write_float_repr(&mut out, 1e-7);
        assert_eq!(out, b"x=1e-07");
        // Non-finite input never panics; it gets Python's repr().
        let mut out = Vec::new();
        write_float_repr(&mut out, f64::NAN);
        write_float_repr(&mut out, f64::INFINITY);
        write_float_repr(&mut out, f64::NEG_INFINITY);
        assert_eq!(out, b"naninf-inf");
    }

    #[test]
    fn non_finite_write_f64_is_an_error() {
        let mut out = Vec::new();
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = PythonFormatter::default()
                .write_f64(&mut out, value)
                .expect_err("non-finite must be rejected");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert!(out.is_empty());
        // Through the serializer, serde_json maps NaN to null before the
        // formatter sees it (CPython would write `NaN`); documented divergence.
        assert_eq!(dumps(&f64::NAN), "null");
        // As map keys, serde_json rejects non-finite floats itself.
        let keyed = indexmap_free::Pairs(vec![(f64::INFINITY, 1)]);
        assert!(to_vec(&keyed).is_err());
    }

    #[test]
    fn f32_is_widened_like_python_float() {
        // python3 -c 'import struct; f = lambda x: struct.unpack("f", struct.pack("f", x))[0]; print(repr(f(0.1)), repr(f(1e16)))'
        assert_eq!(dumps(&0.1f32), "0.10000000149011612");
        assert_eq!(dumps(&1.5f32), "1.5");
        assert_eq!(dumps(&1e16f32), "1.0000000272564224e+16");
    }

    #[test]
    fn number_str_is_normalized_like_cpython() {
        let mut out = Vec::new();
        let mut f = PythonFormatter::default();
        for text in ["12", "-0", "-34", "1e16", "1.50", "0.1E-4"] {
            f.write_number_str(&mut out, text).expect("valid number");
            out.push(b' ');
        }
        // python3 -c 'import json; print(*(json.dumps(json.loads(t)) for t in ["12","-0","-34","1e16","1.50","0.1E-4"]))'
        assert_eq!(out, b"12 0 -34 1e+16 1.5 1e-05 ");
        assert!(f.write_number_str(&mut out, "1e400").is_err());
        assert!(f.write_number_str(&mut out, "abc").is_err());
    }

    #[test]
    fn first_special_agrees_with_the_byte_table() {
        // Every byte value at every position of strings that span a whole
        // word, a partial word and a tail, over a plain background.
        let reference = |bytes: &[u8]| bytes.iter().position(|&b| CLASS[usize::from(b)] != PLAIN);
        for len in [1, 7, 8, 9, 16, 17, 23] {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    assert_eq!(
                        first_special(&text),
                        reference(&text),
                        "byte {byte:#04x} at {at} of {len}"
                    );
                }
            }
        }
        assert_eq!(first_special(b""), None);
        assert_eq!(first_special(b"0123456789abcdef~ }"), None);
        assert_eq!(first_special("abcdefgh\u{7f}é".as_bytes()), Some(8));
    }

    #[test]
    fn fixed_notation_fast_path_agrees_with_the_digit_layout() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            100.0,
            0.0001,
            0.00012,
            0.00001,
            1e15,
            1e16,
            1e-4,
            9.5e-5,
            1700000000.25,
            999999999999999.9,
            123456789012345.6,
            0.1,
            -2.5,
        ];
        for _ in 0..20_000 {
            let bits = next(&mut state);
            // Binary exponents from 2^-20 to 2^60 (around both notation switches), random
            // mantissas, and short decimals.
            let exp = 1023 - 20 + (next(&mut state) % 80);
            values.push(f64::from_bits((bits & 0x800f_ffff_ffff_ffff) | (exp << 52)));
            let mantissa = (next(&mut state) % 10_000_000) as f64;
            values.push(mantissa * 10f64.powi((next(&mut state) % 24) as i32 - 10));
        }
        let mut fast_taken = 0;
        for value in values {
            let mut fast = ReprBuf::new();
            let mut slow = ReprBuf::new();
            let expected = slow.format_by_digits(value).to_vec();
            if let Some(len) = fast.plain_fast_path(value) {
                fast_taken += 1;
                assert_eq!(
                    fast.out[..len],
                    expected[..],
                    "{value:e}: {:?} vs {:?}",
                    String::from_utf8_lossy(&fast.out[..len]),
                    String::from_utf8_lossy(&expected)
                );
            }
        }
        assert!(fast_taken > 10_000, "the fast path is the common one");
    }

    #[test]
    fn decimals_parse_from_both_notations() {
        let parsed = |text: &str| {
            let d = Decimal::parse(text.as_bytes()).expect("fits");
            (
                String::from_utf8(d.digits().to_vec()).expect("ascii"),
                d.exp,
            )
        };
        assert_eq!(parsed("1.5e-5"), ("15".into(), -5));
        assert_eq!(parsed("1e16"), ("1".into(), 16));
        assert_eq!(parsed("1e+16"), ("1".into(), 16));
        assert_eq!(parsed("0e0"), ("0".into(), 0));
        assert_eq!(parsed("0.0"), ("0".into(), 0));
        assert_eq!(parsed("1700000000.25"), ("170000000025".into(), 9));
        assert_eq!(parsed("0.0001"), ("1".into(), -4));
        assert_eq!(parsed("100.0"), ("1".into(), 2));
        assert!(Decimal::parse(&[b'1'; 40]).is_none(), "too many digits");
    }

    /// xorshift64* step; deterministic and dependency-free.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    #[test]
    fn random_floats_match_cpython_repr() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = Vec::new();
        while values.len() < 300 {
            // Arbitrary bit patterns: mostly scientific notation.
            let v = f64::from_bits(next(&mut state));
            if v.is_finite() {
                values.push(v);
            }
        }
        for _ in 0..200 {
            // Binary exponents around the fixed/scientific boundaries.
            let bits = next(&mut state);
            let exp = 1023 - 20 + (next(&mut state) % 80);
            values.push(f64::from_bits((bits & 0x800f_ffff_ffff_ffff) | (exp << 52)));
        }
        for _ in 0..100 {
            // Quarter fractions in [2^48, 2^51): exact halfway ties between
            // two shortest candidates, where ties-to-even matters.
            let int = (1u64 << 48) + next(&mut state) % (7 << 48);
            let quarter = [0.25, 0.5, 0.75][(next(&mut state) % 3) as usize];
            values.push(int as f64 + quarter);
        }
        for _ in 0..100 {
            // Short binary fractions m / 2^t anywhere in range: the only
            // values whose exact expansion is short enough to tie.
            let t = (next(&mut state) % 26) as i32;
            let m = next(&mut state) >> (11 + next(&mut state) % 40);
            values.push(m as f64 * 2f64.powi(-t));
        }
        for _ in 0..100 {
            // Short decimals such as 1234.5678 and 1.2e-05.
            let mantissa = (next(&mut state) % 100_000_000) as f64;
            let scale = 10f64.powi((next(&mut state) % 30) as i32 - 15);
            values.push(mantissa * scale);
        }
        values.extend([0.0, -0.0, 5e-324, f64::MAX, f64::MIN_POSITIVE, 1e16, 1e-5]);

        let path = std::env::temp_dir().join(format!(
            "pyjson-floats-{}-{:?}.txt",
            std::process::id(),
            std::thread::current().id()
        ));
        let listing: String = values
            .iter()
            .map(|v| format!("{:016x}\n", v.to_bits()))
            .collect();
        std::fs::write(&path, listing).expect("write temp file");

        let script = "import json, struct, sys\n\
            vals = [struct.unpack('<d', int(l, 16).to_bytes(8, 'little'))[0]\n\
                    for l in open(sys.argv[1]).read().split()]\n\
            for v in vals: print(repr(v))\n\
            print(json.dumps(vals))\n";
        let output = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output();
        let _ = std::fs::remove_file(&path);
        let output = match output {
            Ok(output) => output,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                println!("python3 not found on PATH; skipping CPython comparison");
                return;
            }
            Err(err) => panic!("failed to run python3: {err}"),
        };
        assert!(
            output.status.success(),
            "python3 failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("python output is ascii");
        let mut lines = stdout.lines();
        for &value in &values {
            let expected = lines.next().expect("one line per value");
            assert_eq!(repr(value), expected, "bits {:#018x}", value.to_bits());
        }
        let whole = lines.next().expect("json.dumps line");
        assert_eq!(dumps(&values), whole);
        assert_eq!(lines.next(), None);
    }
}
