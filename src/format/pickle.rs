//! A data-only reader and a small writer for Python pickles (the Pyramid 1.x session format).
//!
//! The reader runs the pickle machine for the opcodes that build plain data — `None`, `bool`,
//! `int`, `float`, `str`, `list`, `tuple`, `dict` — in every protocol (0 to 5) as CPython 3 and
//! Python 2.7 write them, and converts the result to JSON (a tuple becomes an array). Any other
//! opcode (globals, `REDUCE`, `BUILD`, object construction, bytes, sets, persistent ids, …) is
//! refused with [`DecodeError::Unsupported`]: nothing is ever imported, called or instantiated.
//!
//! The work is bounded whatever the input:
//! * parsing is one pass, each opcode creating at most one value, and a declared length is
//!   checked against the remaining input before anything is read or allocated;
//! * a memo reference (`GET`) shares a value without copying it, and the conversion to JSON,
//!   where shared values are copied, charges every copy to a budget of [`MAX_EXPANDED_SIZE`]
//!   (a fixed cost per value plus the bytes of its strings), so a small pickle cannot expand
//!   into a huge tree;
//! * containers nest at most [`MAX_DEPTH`] deep, and a container that contains itself is refused.
//!
//! The writer emits protocol 2, which Python 2.7 and every Python 3 read.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::error::DecodeError;

/// The most a pickle may expand to when converted to JSON: [`VALUE_COST`] per value plus the
/// length of every string (dictionary keys included), counting each copy a memo reference
/// makes. Every value takes at least one byte of pickle, so no pickle from a 4 KiB cookie
/// reaches this without memo references; through them it caps a session at 8192 values.
pub(crate) const MAX_EXPANDED_SIZE: usize = 64 * 1024;

/// What one value costs against [`MAX_EXPANDED_SIZE`], about its size in memory in words.
const VALUE_COST: usize = 8;

/// The deepest nesting of containers accepted (serde_json's own recursion limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// The highest pickle protocol (CPython 3.8+).
const HIGHEST_PROTOCOL: u8 = 5;

/// The protocol [`Writer`] emits.
const WRITE_PROTOCOL: u8 = 2;

/// Opcodes, named as in CPython's `pickle.py`.
mod op {
    pub(super) const MARK: u8 = b'(';
    pub(super) const STOP: u8 = b'.';
    pub(super) const INT: u8 = b'I';
    pub(super) const BININT: u8 = b'J';
    pub(super) const BININT1: u8 = b'K';
    pub(super) const BININT2: u8 = b'M';
    pub(super) const LONG: u8 = b'L';
    pub(super) const NONE: u8 = b'N';
    pub(super) const FLOAT: u8 = b'F';
    pub(super) const BINFLOAT: u8 = b'G';
    pub(super) const BINSTRING: u8 = b'T';
    pub(super) const SHORT_BINSTRING: u8 = b'U';
    pub(super) const UNICODE: u8 = b'V';
    pub(super) const BINUNICODE: u8 = b'X';
    pub(super) const APPEND: u8 = b'a';
    pub(super) const APPENDS: u8 = b'e';
    pub(super) const LIST: u8 = b'l';
    pub(super) const EMPTY_LIST: u8 = b']';
    pub(super) const TUPLE: u8 = b't';
    pub(super) const EMPTY_TUPLE: u8 = b')';
    pub(super) const DICT: u8 = b'd';
    pub(super) const EMPTY_DICT: u8 = b'}';
    pub(super) const SETITEM: u8 = b's';
    pub(super) const SETITEMS: u8 = b'u';
    pub(super) const GET: u8 = b'g';
    pub(super) const BINGET: u8 = b'h';
    pub(super) const LONG_BINGET: u8 = b'j';
    pub(super) const PUT: u8 = b'p';
    pub(super) const BINPUT: u8 = b'q';
    pub(super) const LONG_BINPUT: u8 = b'r';
    pub(super) const PROTO: u8 = 0x80;
    pub(super) const TUPLE1: u8 = 0x85;
    pub(super) const TUPLE2: u8 = 0x86;
    pub(super) const TUPLE3: u8 = 0x87;
    pub(super) const NEWTRUE: u8 = 0x88;
    pub(super) const NEWFALSE: u8 = 0x89;
    pub(super) const LONG1: u8 = 0x8a;
    pub(super) const LONG4: u8 = 0x8b;
    pub(super) const SHORT_BINUNICODE: u8 = 0x8c;
    pub(super) const BINUNICODE8: u8 = 0x8d;
    pub(super) const MEMOIZE: u8 = 0x94;
    pub(super) const FRAME: u8 = 0x95;
}

/// What a refused opcode builds, for [`DecodeError::Unsupported`].
fn unsupported_opcode(opcode: u8) -> &'static str {
    match opcode {
        b'c' | 0x93 => "a pickled global (class or function)",
        b'R' => "a pickled call (REDUCE)",
        b'b' => "a pickled object state (BUILD)",
        b'i' | b'o' | 0x81 | 0x92 => "a pickled object",
        b'P' | b'Q' => "a pickled persistent id",
        0x82..=0x84 => "a pickled extension code",
        b'B' | b'C' | 0x8e | 0x96 => "a pickled bytes value",
        0x8f..=0x91 => "a pickled set",
        0x97 | 0x98 => "a pickled out-of-band buffer",
        b'S' => "a protocol 0 Python 2 byte string",
        b'0' | b'1' | b'2' => "a pickled stack manipulation (POP or DUP)",
        _ => "an unknown pickle opcode",
    }
}

/// A value on the pickle machine's stack: an index into the arena of built values.
type Id = usize;

/// A value as the pickle machine built it. Containers refer to their items by [`Id`], so a
/// memo reference shares the value (as in Python) and a later fill is seen through every
/// reference.
enum Node<'a> {
    None,
    Bool(bool),
    Int(Number),
    Float(f64),
    /// Borrowed from the pickle unless escapes had to be decoded.
    Str(Cow<'a, str>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
}

/// Reads a pickle holding only plain data and converts it to JSON (tuples become arrays).
///
/// Malformed pickles are [`DecodeError::BadPayload`] (truncated ones [`DecodeError::Truncated`]);
/// well-formed ones holding anything JSON cannot represent faithfully are
/// [`DecodeError::Unsupported`]; a pickle expanding beyond [`MAX_EXPANDED_SIZE`] is
/// [`DecodeError::InflatedTooLarge`].
pub(crate) fn loads(pickle: &[u8]) -> Result<Value, DecodeError> {
    let mut machine = Machine {
        input: pickle,
        pos: 0,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: Memo::default(),
    };
    let root = machine.run()?;
    Converter {
        arena: &machine.arena,
        on_path: vec![false; machine.arena.len()],
        spent: 0,
    }
    .convert(root, 0)
}

/// The pickle machine: input cursor, arena, stack, marks and memo.
struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    arena: Vec<Node<'a>>,
    stack: Vec<Id>,
    /// Stack lengths at each `MARK`.
    marks: Vec<usize>,
    memo: Memo,
}

/// The memo: indices as Python writes them (0, 1, 2, … in order) in a vector, any other index
/// (a hand-made pickle may use any) in a map, so a huge index allocates nothing.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<Id>>,
    sparse: HashMap<u64, Id>,
    /// Distinct indices set: `MEMOIZE` uses the next one, as `len(memo)` in Python.
    len: u64,
}

impl Memo {
    fn insert(&mut self, index: u64, id: Id) {
        let previous = match usize::try_from(index) {
            Ok(slot) if slot <= self.dense.len() => {
                if slot == self.dense.len() {
                    self.dense.push(None);
                }
                // An index set while the vector was shorter moves over.
                self.dense[slot]
                    .replace(id)
                    .or_else(|| self.sparse.remove(&index))
            }
            _ => self.sparse.insert(index, id),
        };
        if previous.is_none() {
            self.len += 1;
        }
    }

    fn get(&self, index: u64) -> Option<Id> {
        usize::try_from(index)
            .ok()
            .and_then(|slot| self.dense.get(slot).copied().flatten())
            .or_else(|| self.sparse.get(&index).copied())
    }
}

impl<'a> Machine<'a> {
    /// Runs the opcodes up to `STOP`; returns the value left on the stack.
    fn run(&mut self) -> Result<Id, DecodeError> {
        loop {
            let opcode = self.take(1)?[0];
            match opcode {
                op::PROTO => {
                    if self.take(1)?[0] > HIGHEST_PROTOCOL {
                        return Err(DecodeError::Unsupported {
                            what: "a pickle protocol above 5",
                        });
                    }
                }
                op::FRAME => {
                    // A frame only announces how many bytes follow; they are read as usual.
                    let len = self.take_u64()?;
                    if len > self.remaining() as u64 {
                        return Err(DecodeError::Truncated);
                    }
                }
                op::STOP => return self.finish(),
                op::MARK => self.marks.push(self.stack.len()),
                op::NONE => self.push(Node::None),
                op::NEWTRUE => self.push(Node::Bool(true)),
                op::NEWFALSE => self.push(Node::Bool(false)),
                op::INT => {
                    let line = self.line()?;
                    let node = match line {
                        b"00" => Node::Bool(false),
                        b"01" => Node::Bool(true),
                        digits => Node::Int(decimal(digits)?),
                    };
                    self.push(node);
                }
                op::LONG => {
                    let line = self.line()?;
                    let digits = line.strip_suffix(b"L").unwrap_or(line);
                    let number = decimal(digits)?;
                    self.push(Node::Int(number));
                }
                op::BININT => {
                    let bytes = self.take_array::<4>()?;
                    self.push(Node::Int(i32::from_le_bytes(bytes).into()));
                }
                op::BININT1 => {
                    let byte = self.take(1)?[0];
                    self.push(Node::Int(byte.into()));
                }
                op::BININT2 => {
                    let bytes = self.take_array::<2>()?;
                    self.push(Node::Int(u16::from_le_bytes(bytes).into()));
                }
                op::LONG1 => {
                    let len = usize::from(self.take(1)?[0]);
                    let bytes = self.take(len)?;
                    self.push(Node::Int(twos_complement(bytes)?));
                }
                op::LONG4 => {
                    let len = i32::from_le_bytes(self.take_array::<4>()?);
                    let len = usize::try_from(len).map_err(|_| DecodeError::BadPayload)?;
                    let bytes = self.take(len)?;
                    self.push(Node::Int(twos_complement(bytes)?));
                }
                op::FLOAT => {
                    let line = self.line()?;
                    let value = std::str::from_utf8(line)
                        .ok()
                        .filter(|text| {
                            text.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                        })
                        .and_then(|text| text.parse::<f64>().ok())
                        .ok_or(DecodeError::BadPayload)?;
                    self.push_float(value)?;
                }
                op::BINFLOAT => {
                    let value = f64::from_be_bytes(self.take_array::<8>()?);
                    self.push_float(value)?;
                }
                op::SHORT_BINUNICODE => {
                    let len = usize::from(self.take(1)?[0]);
                    self.push_utf8(len)?;
                }
                op::BINUNICODE => {
                    let len = u32::from_le_bytes(self.take_array::<4>()?);
                    self.push_utf8(usize::try_from(len).map_err(|_| DecodeError::Truncated)?)?;
                }
                op::BINUNICODE8 => {
                    let len = self.take_u64()?;
                    self.push_utf8(usize::try_from(len).map_err(|_| DecodeError::Truncated)?)?;
                }
                op::UNICODE => {
                    let text = raw_unicode_escape(self.line()?)?;
                    self.push(Node::Str(Cow::Owned(text)));
                }
                op::SHORT_BINSTRING => {
                    let len = usize::from(self.take(1)?[0]);
                    self.push_ascii(len)?;
                }
                op::BINSTRING => {
                    let len = i32::from_le_bytes(self.take_array::<4>()?);
                    self.push_ascii(usize::try_from(len).map_err(|_| DecodeError::BadPayload)?)?;
                }
                op::EMPTY_LIST => self.push(Node::List(Vec::new())),
                op::EMPTY_TUPLE => self.push(Node::Tuple(Vec::new())),
                op::EMPTY_DICT => self.push(Node::Dict(Vec::new())),
                op::LIST => {
                    let items = self.pop_mark()?;
                    self.push(Node::List(items));
                }
                op::TUPLE => {
                    let items = self.pop_mark()?;
                    self.push(Node::Tuple(items));
                }
                op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                    let len = usize::from(opcode - op::TUPLE1 + 1);
                    let start = self
                        .stack
                        .len()
                        .checked_sub(len)
                        .filter(|&start| start >= self.floor())
                        .ok_or(DecodeError::BadPayload)?;
                    let items = self.stack.split_off(start);
                    self.push(Node::Tuple(items));
                }
                op::DICT => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(&items)?;
                    self.push(Node::Dict(pairs));
                }
                op::APPEND => {
                    let item = self.pop()?;
                    self.list_below_top()?.push(item);
                }
                op::APPENDS => {
                    let items = self.pop_mark()?;
                    self.list_below_top()?.extend(items);
                }
                op::SETITEM => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    self.dict_below_top()?.push((key, value));
                }
                op::SETITEMS => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(&items)?;
                    self.dict_below_top()?.extend(pairs);
                }
                op::PUT => {
                    let index = memo_index(self.line()?)?;
                    self.put(index)?;
                }
                op::BINPUT => {
                    let index = self.take(1)?[0];
                    self.put(index.into())?;
                }
                op::LONG_BINPUT => {
                    let index = u32::from_le_bytes(self.take_array::<4>()?);
                    self.put(index.into())?;
                }
                op::MEMOIZE => {
                    let index = self.memo.len;
                    self.put(index)?;
                }
                op::GET => {
                    let index = memo_index(self.line()?)?;
                    self.get(index)?;
                }
                op::BINGET => {
                    let index = self.take(1)?[0];
                    self.get(index.into())?;
                }
                op::LONG_BINGET => {
                    let index = u32::from_le_bytes(self.take_array::<4>()?);
                    self.get(index.into())?;
                }
                other => {
                    return Err(DecodeError::Unsupported {
                        what: unsupported_opcode(other),
                    });
                }
            }
        }
    }

    /// `STOP`: exactly one value left, no open mark, nothing after it (Python writes nothing
    /// else, and the signature covers every byte).
    fn finish(&mut self) -> Result<Id, DecodeError> {
        if self.stack.len() != 1 || !self.marks.is_empty() || self.remaining() != 0 {
            return Err(DecodeError::BadPayload);
        }
        Ok(self.stack[0])
    }

    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    /// The next `len` bytes; a length beyond the input is [`DecodeError::Truncated`], before
    /// anything is allocated.
    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        let bytes = &self.input[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn take_u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.take_array::<8>()?))
    }

    /// A text argument: the bytes up to the next newline, which is consumed.
    fn line(&mut self) -> Result<&'a [u8], DecodeError> {
        let rest = &self.input[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(DecodeError::Truncated)?;
        self.pos += end + 1;
        Ok(&rest[..end])
    }

    fn push(&mut self, node: Node<'a>) {
        self.stack.push(self.arena.len());
        self.arena.push(node);
    }

    fn push_float(&mut self, value: f64) -> Result<(), DecodeError> {
        if !value.is_finite() {
            return Err(DecodeError::Unsupported {
                what: "a float that is not finite (NaN or infinity)",
            });
        }
        self.push(Node::Float(value));
        Ok(())
    }

    fn push_utf8(&mut self, len: usize) -> Result<(), DecodeError> {
        let bytes = self.take(len)?;
        // Python writes lone surrogates with `surrogatepass`; JSON text cannot hold them.
        let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::BadPayload)?;
        self.push(Node::Str(Cow::Borrowed(text)));
        Ok(())
    }

    /// A Python 2 `str`: Python 3 (and so Pyramid on it) reads it as ASCII text. Other bytes
    /// are bytes, not text, whatever encoding the Python 2 app meant.
    fn push_ascii(&mut self, len: usize) -> Result<(), DecodeError> {
        let bytes = self.take(len)?;
        if !bytes.is_ascii() {
            return Err(DecodeError::Unsupported {
                what: "a Python 2 byte string that is not ASCII",
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::BadPayload)?;
        self.push(Node::Str(Cow::Borrowed(text)));
        Ok(())
    }

    /// The stack below the last `MARK` is out of reach until that mark is popped (Python keeps
    /// it in a separate "metastack").
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id, DecodeError> {
        if self.stack.len() <= self.floor() {
            return Err(DecodeError::BadPayload);
        }
        self.stack.pop().ok_or(DecodeError::BadPayload)
    }

    /// The values pushed since the last `MARK`, which is removed.
    fn pop_mark(&mut self) -> Result<Vec<Id>, DecodeError> {
        let mark = self.marks.pop().ok_or(DecodeError::BadPayload)?;
        Ok(self.stack.split_off(mark))
    }

    fn top(&self) -> Result<Id, DecodeError> {
        match self.stack.last() {
            Some(&id) if self.stack.len() > self.floor() => Ok(id),
            _ => Err(DecodeError::BadPayload),
        }
    }

    fn list_below_top(&mut self) -> Result<&mut Vec<Id>, DecodeError> {
        let id = self.top()?;
        match &mut self.arena[id] {
            Node::List(items) => Ok(items),
            _ => Err(DecodeError::BadPayload),
        }
    }

    fn dict_below_top(&mut self) -> Result<&mut Vec<(Id, Id)>, DecodeError> {
        let id = self.top()?;
        match &mut self.arena[id] {
            Node::Dict(pairs) => Ok(pairs),
            _ => Err(DecodeError::BadPayload),
        }
    }

    fn put(&mut self, index: u64) -> Result<(), DecodeError> {
        let id = self.top()?;
        self.memo.insert(index, id);
        Ok(())
    }

    fn get(&mut self, index: u64) -> Result<(), DecodeError> {
        let id = self.memo.get(index).ok_or(DecodeError::BadPayload)?;
        self.stack.push(id);
        Ok(())
    }
}

/// Pairs up `key, value, key, value, …`.
fn pairs(items: &[Id]) -> Result<Vec<(Id, Id)>, DecodeError> {
    if !items.len().is_multiple_of(2) {
        return Err(DecodeError::BadPayload);
    }
    Ok(items
        .chunks_exact(2)
        .map(|pair| (pair[0], pair[1]))
        .collect())
}

/// A memo index written as decimal text (`PUT`, `GET`).
fn memo_index(line: &[u8]) -> Result<u64, DecodeError> {
    if line.is_empty() || !line.iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::BadPayload);
    }
    std::str::from_utf8(line)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(DecodeError::BadPayload)
}

/// A decimal integer as Python's `repr` writes it (`INT`, `LONG`): an optional minus sign and
/// digits without a leading zero. Beyond 64 bits it is [`DecodeError::Unsupported`].
fn decimal(text: &[u8]) -> Result<Number, DecodeError> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let well_formed = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits[0] != b'0');
    if !well_formed {
        return Err(DecodeError::BadPayload);
    }
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::BadPayload)?;
    if let Ok(value) = text.parse::<i64>() {
        return Ok(value.into());
    }
    if let Ok(value) = text.parse::<u64>() {
        return Ok(value.into());
    }
    Err(TOO_BIG)
}

const TOO_BIG: DecodeError = DecodeError::Unsupported {
    what: "an integer beyond 64 bits",
};

/// A little-endian two's-complement integer (`LONG1`, `LONG4`); empty is zero.
fn twos_complement(bytes: &[u8]) -> Result<Number, DecodeError> {
    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    let extension = if negative { 0xff } else { 0x00 };
    // Bytes beyond the 16th must only extend the sign; then the value fits an i128.
    let (low, high) = bytes.split_at(bytes.len().min(16));
    if high.iter().any(|&b| b != extension) {
        return Err(TOO_BIG);
    }
    let mut buffer = [extension; 16];
    buffer[..low.len()].copy_from_slice(low);
    let value = i128::from_le_bytes(buffer);
    if let Ok(value) = i64::try_from(value) {
        return Ok(value.into());
    }
    u64::try_from(value).map(Number::from).map_err(|_| TOO_BIG)
}

/// Python's `raw-unicode-escape` decoding: bytes are Latin-1 characters, except `\uXXXX` and
/// `\UXXXXXXXX` after an odd number of backslashes.
fn raw_unicode_escape(bytes: &[u8]) -> Result<String, DecodeError> {
    let mut text = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        i += 1;
        if byte != b'\\' {
            text.push(char::from(byte));
            continue;
        }
        let mut backslashes = 1;
        while bytes.get(i) == Some(&b'\\') {
            backslashes += 1;
            i += 1;
        }
        let escape_len = match bytes.get(i) {
            Some(b'u') if backslashes % 2 == 1 => 4,
            Some(b'U') if backslashes % 2 == 1 => 8,
            _ => {
                text.extend(std::iter::repeat_n('\\', backslashes));
                continue;
            }
        };
        // The last backslash starts the escape.
        text.extend(std::iter::repeat_n('\\', backslashes - 1));
        let hex = bytes
            .get(i + 1..i + 1 + escape_len)
            .ok_or(DecodeError::BadPayload)?;
        let code = std::str::from_utf8(hex)
            .ok()
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .ok_or(DecodeError::BadPayload)?;
        // A surrogate is valid Python text but not JSON text.
        text.push(char::from_u32(code).ok_or(DecodeError::BadPayload)?);
        i += 1 + escape_len;
    }
    Ok(text)
}

/// Converts the built values to JSON, charging every value (copies included) to the budget.
struct Converter<'a> {
    arena: &'a [Node<'a>],
    /// The containers being converted, to refuse one that contains itself.
    on_path: Vec<bool>,
    spent: usize,
}

impl Converter<'_> {
    fn charge(&mut self, units: usize) -> Result<(), DecodeError> {
        self.spent = self.spent.saturating_add(units);
        if self.spent > MAX_EXPANDED_SIZE {
            return Err(DecodeError::InflatedTooLarge {
                limit: MAX_EXPANDED_SIZE,
            });
        }
        Ok(())
    }

    fn convert(&mut self, id: Id, depth: usize) -> Result<Value, DecodeError> {
        self.charge(VALUE_COST)?;
        let arena = self.arena;
        let leaf = match &arena[id] {
            Node::None => Value::Null,
            Node::Bool(value) => Value::Bool(*value),
            Node::Int(number) => Value::Number(number.clone()),
            Node::Float(value) => Number::from_f64(*value).map_or(Value::Null, Value::Number),
            Node::Str(text) => {
                self.charge(text.len())?;
                Value::String(String::from(text.as_ref()))
            }
            Node::List(_) | Node::Tuple(_) | Node::Dict(_) => return self.container(id, depth),
        };
        Ok(leaf)
    }

    fn container(&mut self, id: Id, depth: usize) -> Result<Value, DecodeError> {
        if depth >= MAX_DEPTH {
            return Err(DecodeError::Unsupported {
                what: "containers nested more than 128 deep",
            });
        }
        if self.on_path[id] {
            return Err(DecodeError::Unsupported {
                what: "a container that contains itself",
            });
        }
        self.on_path[id] = true;
        let arena = self.arena;
        let value = match &arena[id] {
            Node::List(items) | Node::Tuple(items) => {
                let mut array = Vec::with_capacity(items.len().min(MAX_EXPANDED_SIZE));
                for &item in items {
                    array.push(self.convert(item, depth + 1)?);
                }
                Value::Array(array)
            }
            Node::Dict(pairs) => {
                let mut map = Map::new();
                for &(key, value) in pairs {
                    let Node::Str(key) = &arena[key] else {
                        return Err(DecodeError::Unsupported {
                            what: "a dictionary key that is not a string",
                        });
                    };
                    self.charge(key.len())?;
                    let value = self.convert(value, depth + 1)?;
                    // As in Python, a repeated key keeps its first position and its last value.
                    map.insert(String::from(key.as_ref()), value);
                }
                Value::Object(map)
            }
            _ => unreachable!("only containers come here"),
        };
        self.on_path[id] = false;
        Ok(value)
    }
}

/// Writes JSON values as a protocol 2 pickle. Arrays become lists, objects dicts.
pub(crate) struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// Starts a pickle (`PROTO 2`).
    pub(crate) fn new() -> Self {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&[op::PROTO, WRITE_PROTOCOL]);
        Self { out }
    }

    /// Ends the pickle (`STOP`) and returns its bytes.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.push(op::STOP);
        self.out
    }

    /// Bundles the last three values written into a tuple.
    pub(crate) fn tuple3(&mut self) {
        self.out.push(op::TUPLE3);
    }

    /// Writes an integer in its shortest form.
    pub(crate) fn int(&mut self, value: i64) {
        if let Ok(byte) = u8::try_from(value) {
            self.out.extend_from_slice(&[op::BININT1, byte]);
        } else if let Ok(short) = u16::try_from(value) {
            self.out.push(op::BININT2);
            self.out.extend_from_slice(&short.to_le_bytes());
        } else if let Ok(word) = i32::try_from(value) {
            self.out.push(op::BININT);
            self.out.extend_from_slice(&word.to_le_bytes());
        } else {
            self.long(i128::from(value));
        }
    }

    /// `LONG1` with the fewest two's-complement bytes.
    fn long(&mut self, value: i128) {
        let bytes = value.to_le_bytes();
        let mut len = bytes.len();
        // Drop high bytes that only repeat the sign of the byte below them.
        while len > 1 {
            let (top, below) = (bytes[len - 1], bytes[len - 2]);
            let redundant =
                (top == 0x00 && below & 0x80 == 0) || (top == 0xff && below & 0x80 != 0);
            if !redundant {
                break;
            }
            len -= 1;
        }
        self.out.extend_from_slice(&[op::LONG1, len as u8]);
        self.out.extend_from_slice(&bytes[..len]);
    }

    /// Writes a float (`BINFLOAT`, big-endian IEEE 754).
    pub(crate) fn float(&mut self, value: f64) {
        self.out.push(op::BINFLOAT);
        self.out.extend_from_slice(&value.to_be_bytes());
    }

    fn string(&mut self, text: &str) {
        self.out.push(op::BINUNICODE);
        // A string longer than 4 GiB never reaches a cookie writer.
        let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.out.extend_from_slice(&len.to_le_bytes());
        self.out.extend_from_slice(text.as_bytes());
    }

    /// Writes key/value pairs as a dict.
    pub(crate) fn dict<K, V>(&mut self, entries: impl IntoIterator<Item = (K, V)>)
    where
        K: AsRef<str>,
        V: std::borrow::Borrow<Value>,
    {
        self.out.push(op::EMPTY_DICT);
        let mut entries = entries.into_iter().peekable();
        if entries.peek().is_none() {
            return;
        }
        self.out.push(op::MARK);
        for (key, value) in entries {
            self.string(key.as_ref());
            self.value(value.borrow());
        }
        self.out.push(op::SETITEMS);
    }

    /// Writes any JSON value.
    pub(crate) fn value(&mut self, value: &Value) {
        match value {
            Value::Null => self.out.push(op::NONE),
            Value::Bool(true) => self.out.push(op::NEWTRUE),
            Value::Bool(false) => self.out.push(op::NEWFALSE),
            Value::Number(number) => {
                if let Some(int) = number.as_i64() {
                    self.int(int);
                } else if let Some(big) = number.as_u64() {
                    self.long(i128::from(big));
                } else {
                    self.float(number.as_f64().unwrap_or(0.0));
                }
            }
            Value::String(text) => self.string(text),
            Value::Array(items) => {
                self.out.push(op::EMPTY_LIST);
                if items.is_empty() {
                    return;
                }
                self.out.push(op::MARK);
                for item in items {
                    self.value(item);
                }
                self.out.push(op::APPENDS);
            }
            Value::Object(map) => self.dict(map),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn reads_protocol_5_with_frame_and_memo() {
        // From the vectors: `(1561939320, 1561939200.625, {'a': ['s', 2], 'b': <same list>})`.
        let pickle = unhex(
            "80059529000000000000004a784d195d4741d74653402800007d94288c0161945d94288c0173944b02658c01629468027587942e",
        );
        assert_eq!(
            loads(&pickle).unwrap(),
            json!([1561939320, 1561939200.625, {"a": ["s", 2], "b": ["s", 2]}])
        );
    }

    #[test]
    fn reads_protocol_0_text_opcodes() {
        let pickle = b"(I1561939320\nF1561939200.625\n(dp0\nVn\np1\nI3\nsVbig\np2\nL8589934592L\nsVok\np3\nI01\nsVs\np4\nVcaf\xe9 \\u2603 \\\\u0041\np5\nstp6\n.";
        assert_eq!(
            loads(pickle).unwrap(),
            json!([1561939320, 1561939200.625,
                   {"n": 3, "big": 8589934592_u64, "ok": true, "s": "café ☃ \\\\u0041"}])
        );
    }

    #[test]
    fn reads_python_2_strings_as_ascii_only() {
        assert_eq!(loads(b"\x80\x02U\x04john.").unwrap(), json!("john"));
        assert_eq!(loads(b"T\x02\x00\x00\x00ok.").unwrap(), json!("ok"));
        assert!(matches!(
            loads(b"U\x01\xe9."),
            Err(DecodeError::Unsupported { what }) if what.contains("not ASCII")
        ));
    }

    #[test]
    fn integers_keep_64_bits_and_refuse_more() {
        assert_eq!(loads(b"\x8a\x00.").unwrap(), json!(0));
        assert_eq!(loads(b"\x8a\x01\xff.").unwrap(), json!(-1));
        assert_eq!(
            loads(b"\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00.").unwrap(),
            json!(u64::MAX)
        );
        let mut padded = vec![0x8b, 40, 0, 0, 0, 0x80];
        padded.extend([0xff; 39]);
        padded.push(b'.');
        assert_eq!(loads(&padded).unwrap(), json!(-128));
        let too_big = b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x02.";
        assert_eq!(loads(too_big), Err(TOO_BIG));
        assert_eq!(loads(b"I99999999999999999999\n."), Err(TOO_BIG));
        assert_eq!(loads(b"I010\n."), Err(DecodeError::BadPayload));
    }

    #[test]
    fn refuses_globals_reduce_and_non_data() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"cos\nsystem\n(S'echo'\ntR.",
                "a pickled global (class or function)",
            ),
            (
                b"\x80\x04\x8c\x02os\x8c\x06system\x93.",
                "a pickled global (class or function)",
            ),
            (b"\x80\x03C\x01x.", "a pickled bytes value"),
            (b"\x80\x04\x8f(K\x01\x90.", "a pickled set"),
            (b"N\x00.", "an unknown pickle opcode"),
        ];
        for (pickle, what) in cases {
            assert_eq!(loads(pickle), Err(DecodeError::Unsupported { what }));
        }
    }

    #[test]
    fn memo_indices_may_be_sparse_and_overwritten() {
        // PUT 7, PUT 99999999999, overwrite 7, MEMOIZE takes index 2 (two distinct entries).
        let pickle = b"K\x01p7\nK\x02p99999999999\nK\x03p7\nK\x04\x94g7\ng99999999999\nh\x02t.";
        let pickle = [&b"("[..], pickle].concat();
        assert_eq!(loads(&pickle).unwrap(), json!([1, 2, 3, 4, 3, 2, 4]));
        assert_eq!(loads(b"(g5\nt."), Err(DecodeError::BadPayload));
        // Index 1 set before index 0, then again: still two entries, so MEMOIZE takes 2.
        let moved = b"(K\x01q\x01K\x00q\x00K\x02q\x01K\x03\x94h\x02h\x01t.";
        assert_eq!(loads(moved).unwrap(), json!([1, 0, 2, 3, 3, 2]));
    }

    #[test]
    fn memo_fan_out_is_bounded() {
        // l0 = ['x' * 200]; t(n+1) = (t(n), t(n)): 2^40 copies from a few hundred bytes.
        let mut pickle = b"\x80\x02]X\xc8\x00\x00\x00".to_vec();
        pickle.extend([b'x'; 200]);
        pickle.push(op::APPEND);
        for level in 0u8..40 {
            // memo[level] = top; top = (top, memo[level])
            pickle.extend([op::BINPUT, level, op::BINGET, level, op::TUPLE2]);
        }
        pickle.push(op::STOP);
        assert_eq!(
            loads(&pickle),
            Err(DecodeError::InflatedTooLarge {
                limit: MAX_EXPANDED_SIZE
            })
        );
    }

    #[test]
    fn value_count_is_bounded_and_plain_cookies_fit() {
        // 3000 values in 3 KB (what a 4 KiB cookie holds) are fine.
        let mut plain = vec![op::EMPTY_LIST, op::MARK];
        plain.extend([op::NONE; 3000]);
        plain.extend([op::APPENDS, op::STOP]);
        assert_eq!(loads(&plain).unwrap().as_array().unwrap().len(), 3000);
        // 1000 references to a list of 1000 Nones: a million values from 3 KB.
        let mut fan_out = vec![op::EMPTY_LIST, op::MARK];
        fan_out.extend([op::NONE; 1000]);
        fan_out.extend([op::APPENDS, op::BINPUT, 0, op::EMPTY_LIST, op::MARK]);
        for _ in 0..1000 {
            fan_out.extend([op::BINGET, 0]);
        }
        fan_out.extend([op::APPENDS, op::TUPLE2, op::STOP]);
        assert_eq!(
            loads(&fan_out),
            Err(DecodeError::InflatedTooLarge {
                limit: MAX_EXPANDED_SIZE
            })
        );
    }

    #[test]
    fn nesting_and_cycles_are_refused() {
        let mut deep = vec![op::EMPTY_LIST; 200];
        deep.extend(vec![op::APPEND; 199]);
        deep.push(op::STOP);
        assert!(matches!(
            loads(&deep),
            Err(DecodeError::Unsupported { what }) if what.contains("nested")
        ));
        let mut ok = vec![op::EMPTY_LIST; 100];
        ok.extend(vec![op::APPEND; 99]);
        ok.push(op::STOP);
        assert!(loads(&ok).is_ok());
        // l = []; l.append(l)
        let cycle = b"]\x94h\x00a.";
        assert_eq!(
            loads(cycle),
            Err(DecodeError::Unsupported {
                what: "a container that contains itself"
            })
        );
    }

    #[test]
    fn declared_lengths_beyond_the_input_are_truncated() {
        for pickle in [
            &b"X\xff\xff\xff\x7fab."[..],
            b"\x8d\xff\xff\xff\xff\xff\xff\xff\xffab.",
            b"\x8b\xff\xff\xff\x7f\x00.",
            b"\x95\xff\xff\xff\xff\x00\x00\x00\x00N.",
            b"\x80\x05",
            b"I12",
        ] {
            assert_eq!(loads(pickle), Err(DecodeError::Truncated), "{pickle:?}");
        }
    }

    #[test]
    fn malformed_machines_are_bad_payloads() {
        for pickle in [
            &b"."[..],
            b"NN.",
            b"(N.",
            b"N.N",
            b"a.",
            b"Na.",
            b"}N\x86s.",
            b"h\x05.",
            b"(Nu.",
            b"F1.0x\n.",
        ] {
            assert_eq!(loads(pickle), Err(DecodeError::BadPayload), "{pickle:?}");
        }
        assert!(matches!(
            loads(b"FNaN\n."),
            Err(DecodeError::Unsupported { .. })
        ));
        assert!(matches!(
            loads(b"}K\x01Ns."),
            Err(DecodeError::Unsupported { .. })
        ));
    }

    #[test]
    fn dict_keys_must_be_strings_and_the_last_value_wins() {
        assert_eq!(
            loads(b"}(X\x01\x00\x00\x00aK\x01X\x01\x00\x00\x00bK\x02X\x01\x00\x00\x00aK\x03u.")
                .unwrap(),
            json!({"a": 3, "b": 2})
        );
        assert_eq!(
            loads(b"}(K\x01K\x02u."),
            Err(DecodeError::Unsupported {
                what: "a dictionary key that is not a string"
            })
        );
    }

    #[test]
    fn writer_round_trips_through_the_reader() {
        let value = json!({
            "s": "é ☃ \u{1F600}", "i": [0, 255, 256, 65535, 65536, -1, -129, 2147483647,
            2147483648_i64, -2147483649_i64, i64::MIN, i64::MAX, u64::MAX],
            "f": [0.5, -1.0, 1e300], "b": [true, false, null], "o": {"nested": {"x": []}}, "e": {}
        });
        let mut writer = Writer::new();
        writer.value(&value);
        let pickle = writer.finish();
        assert_eq!(&pickle[..2], b"\x80\x02");
        assert_eq!(loads(&pickle).unwrap(), value);
    }
}
