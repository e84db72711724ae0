//! [`SessionState`]: the session's key/value pairs, each value kept as the JSON text it came as
//! until the handler reads it.
//!
//! Parsing a whole session into a `serde_json::Value` tree is most of the cost of a load, and a
//! request usually reads one or two keys. So a load validates the whole payload (a malformed
//! nested value is still a malformed cookie) but keeps each top-level value as its raw text; a
//! typed [`get`](SessionState::get) deserializes straight from that text, and a write copies the
//! untouched values back byte for byte. That also keeps what we did not change exactly as the
//! framework that wrote it spelled it (`", "`, `1e+16`, `\uXXXX`, integers beyond 64 bits), so a
//! session written by Pyramid, Flask or Django and re-issued here keeps every byte of it.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::DecodeError;
use crate::format::pyjson::{self, PyJsonStyle};

mod scan;
pub(crate) use scan::{RawEntry, Scanner};

/// The session's key/value pairs, in insertion order (as Python's `dict` keeps them).
///
/// Values read from the cookie stay raw until used: see the costs on each method.
///
/// ```
/// use cookie_session::SessionState;
/// let mut state = SessionState::new();
/// state.insert("user", 7)?;
/// assert_eq!(state.get::<u32>("user")?, Some(7));
/// assert_eq!(state.get::<u32>("other")?, None);
/// assert!(state.get::<String>("user").is_err(), "a number is not a string");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct SessionState {
    /// The verified buffer the raw values point into (empty for a new session). Each raw range
    /// was checked to be UTF-8 JSON when it was parsed.
    source: Vec<u8>,
    entries: Vec<Entry>,
}

#[derive(Clone)]
struct Entry {
    key: Key,
    value: Slot,
}

impl Entry {
    fn owned(key: String, value: Value) -> Self {
        Self {
            key: Key::Owned(key.into_boxed_str()),
            value: Slot::Owned(value),
        }
    }

    /// The key's text, from `source` (the state's) for a key read from the cookie.
    fn key_bytes<'a>(&'a self, source: &'a [u8]) -> &'a [u8] {
        match &self.key {
            Key::Raw { start, end, .. } => source.get(*start..*end).unwrap_or_default(),
            Key::Owned(key) => key.as_bytes(),
        }
    }

    fn key_str<'a>(&'a self, source: &'a [u8]) -> &'a str {
        // A raw key was checked to be UTF-8 at load; "" covers the impossible.
        std::str::from_utf8(self.key_bytes(source)).unwrap_or_default()
    }
}

/// A key: read from the cookie without escapes, it stays in the verified buffer (no allocation,
/// no UTF-8 check at load); unescaped or set by the application, it is owned.
#[derive(Clone)]
enum Key {
    /// The inside of the key's token in `source`, which has no escapes.
    Raw {
        start: usize,
        end: usize,
        /// Printable ASCII only: every dialect writes it as it is, so it is copied back.
        plain: bool,
    },
    Owned(Box<str>),
}

#[derive(Clone)]
enum Slot {
    /// Text in `source`, validated at load; parsed into a tree only if someone asks for one.
    Raw {
        start: usize,
        end: usize,
        tree: OnceLock<Value>,
    },
    /// Set by the application.
    Owned(Value),
}

/// One value of a [`SessionState`], as [`SessionState::iter`] yields it.
#[derive(Debug, Clone, Copy)]
pub enum StateValue<'a> {
    /// The JSON text the cookie carried, exactly as it was spelled there.
    Raw(&'a str),
    /// A value set during this request.
    Value(&'a Value),
}

impl StateValue<'_> {
    /// The value as a tree (parses a raw value; free for a set one).
    ///
    /// # Errors
    /// Never for a value read from a verified cookie, whose text was validated at load.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match self {
            Self::Raw(text) => serde_json::from_str(text),
            Self::Value(value) => Ok((*value).clone()),
        }
    }
}

impl fmt::Debug for SessionState {
    /// Keys only: values may be secrets (a CSRF token) or personal data, and debug output ends up
    /// in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

impl PartialEq for SessionState {
    /// The same keys in the same order with equal values (compared as trees, whatever their
    /// spelling).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.entries.iter().zip(&other.entries).all(|(a, b)| {
                a.key_bytes(&self.source) == b.key_bytes(&other.source)
                    && self.tree(&a.value).ok() == other.tree(&b.value).ok()
            })
    }
}

impl PartialEq<Map<String, Value>> for SessionState {
    /// The same keys in the same order with equal values.
    fn eq(&self, other: &Map<String, Value>) -> bool {
        self.len() == other.len()
            && self.entries.iter().zip(other).all(|(a, (key, value))| {
                a.key_bytes(&self.source) == key.as_bytes()
                    && self.tree(&a.value).is_ok_and(|tree| *tree == *value)
            })
    }
}

impl From<Map<String, Value>> for SessionState {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            source: Vec::new(),
            entries: map
                .into_iter()
                .map(|(key, value)| Entry::owned(key, value))
                .collect(),
        }
    }
}

/// How a format writes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonDialect {
    /// `serde_json`'s compact output (UTF-8 as is): the native envelope.
    Compact,
    /// CPython's `json.dumps` called in this style: the Python frameworks.
    Python(PyJsonStyle),
}

impl SessionState {
    /// An empty state.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of the object whose top-level entries a [`Scanner`] found in `source` (the
    /// verified payload, which the raw values keep pointing into). A key given twice keeps its
    /// first position and its last value, as Python's `json.loads` does.
    pub(crate) fn from_scanned(
        source: Vec<u8>,
        scanned: Vec<RawEntry>,
    ) -> Result<Self, DecodeError> {
        let mut entries: Vec<Entry> = Vec::with_capacity(scanned.len());
        // Each key's summary, to find a duplicate without comparing every pair of keys' bytes.
        let mut summaries: Vec<u64> = Vec::with_capacity(scanned.len());
        for RawEntry {
            key,
            key_escaped,
            value,
        } in scanned
        {
            let key = if key_escaped {
                let token = source.get(key).ok_or(DecodeError::BadPayload)?;
                let text: String =
                    serde_json::from_slice(token).map_err(|_| DecodeError::BadPayload)?;
                Key::Owned(text.into_boxed_str())
            } else {
                let (start, end) = (key.start + 1, key.end - 1);
                let inside = source.get(start..end).ok_or(DecodeError::BadPayload)?;
                let plain = inside.iter().all(|byte| (0x20..0x7f).contains(byte));
                Key::Raw { start, end, plain }
            };
            let value = Slot::Raw {
                start: value.start,
                end: value.end,
                tree: OnceLock::new(),
            };
            let entry = Entry { key, value };
            let text = entry.key_bytes(&source);
            let summary = key_summary(text);
            match find_key(&summaries, summary, |at| {
                entries[at].key_bytes(&source) == text
            }) {
                Some(at) => entries[at].value = entry.value,
                None => {
                    entries.push(entry);
                    summaries.push(summary);
                }
            }
        }
        Ok(Self { source, entries })
    }

    /// Reads a payload that is one JSON object. The whole object is validated.
    // Flask and Django decode a payload of its own; the others pass their buffer to `parse_from`.
    pub(crate) fn parse(source: Vec<u8>) -> Result<Self, DecodeError> {
        Self::parse_from(source, 0)
    }

    /// Reads the JSON object that fills `source` from `start` on (validated whole), keeping the
    /// buffer as it is: a format passes its decoded cookie without copying the payload out.
    pub(crate) fn parse_from(source: Vec<u8>, start: usize) -> Result<Self, DecodeError> {
        if start > source.len() {
            return Err(DecodeError::BadPayload);
        }
        // The scanner checks UTF-8 as it goes.
        let mut scanner = Scanner::new(&source, start);
        let entries = scanner.object()?;
        scanner.finish()?;
        Self::from_scanned(source, entries)
    }

    fn position(&self, key: &str) -> Option<usize> {
        let key = key.as_bytes();
        self.entries
            .iter()
            .position(|entry| entry.key_bytes(&self.source) == key)
    }

    /// A raw value's text. Validated as UTF-8 JSON at load; `null` covers the impossible.
    fn raw_text(&self, start: usize, end: usize) -> &str {
        self.source
            .get(start..end)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or("null")
    }

    fn raw_bytes(&self, start: usize, end: usize) -> &[u8] {
        self.source.get(start..end).unwrap_or(b"null")
    }

    fn tree<'a>(&'a self, slot: &'a Slot) -> Result<Cow<'a, Value>, serde_json::Error> {
        match slot {
            Slot::Raw { start, end, tree } => match tree.get() {
                Some(value) => Ok(Cow::Borrowed(value)),
                None => serde_json::from_str(self.raw_text(*start, *end)).map(Cow::Owned),
            },
            Slot::Owned(value) => Ok(Cow::Borrowed(value)),
        }
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` is present. Parses nothing.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The keys, in order. Parses nothing.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.key_str(&self.source))
    }

    /// The keys and their values, in order. Parses nothing: a value read from the cookie comes
    /// as its raw JSON text.
    pub fn iter(&self) -> impl Iterator<Item = (&str, StateValue<'_>)> {
        self.entries.iter().map(|entry| {
            let value = match &entry.value {
                Slot::Raw { start, end, .. } => StateValue::Raw(self.raw_text(*start, *end)),
                Slot::Owned(value) => StateValue::Value(value),
            };
            (entry.key_str(&self.source), value)
        })
    }

    /// The value under `key`, deserialized as `T` straight from its text: costs what parsing
    /// that one value costs.
    ///
    /// # Errors
    /// When the value is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        let Some(at) = self.position(key) else {
            return Ok(None);
        };
        match &self.entries[at].value {
            Slot::Raw { start, end, tree } => match tree.get() {
                Some(value) => T::deserialize(value).map(Some),
                None => serde_json::from_str(self.raw_text(*start, *end)).map(Some),
            },
            Slot::Owned(value) => T::deserialize(value).map(Some),
        }
    }

    /// The value under `key` as a tree. The first call for a raw value parses it (once; the tree
    /// is kept).
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        let at = self.position(key)?;
        match &self.entries[at].value {
            Slot::Raw { start, end, tree } => {
                if tree.get().is_none() {
                    // Validated at load, so this parse succeeds; `null` covers the impossible.
                    let value =
                        serde_json::from_str(self.raw_text(*start, *end)).unwrap_or_default();
                    let _ = tree.set(value);
                }
                tree.get()
            }
            Slot::Owned(value) => Some(value),
        }
    }

    /// The value under `key` as a tree to edit in place. A raw value is parsed (once) and is
    /// from then on written in the format's own spelling.
    pub fn get_value_mut(&mut self, key: &str) -> Option<&mut Value> {
        let at = self.position(key)?;
        Some(self.owned_at(at))
    }

    /// The value under `key` as a tree to edit in place, first stored as `default()` when the
    /// key is absent (like `entry(key).or_insert_with(default)` of a map).
    pub fn get_value_mut_or_insert_with(
        &mut self,
        key: impl Into<String>,
        default: impl FnOnce() -> Value,
    ) -> &mut Value {
        let key = key.into();
        let at = match self.position(&key) {
            Some(at) => at,
            None => {
                self.entries.push(Entry::owned(key, default()));
                self.entries.len() - 1
            }
        };
        self.owned_at(at)
    }

    /// Turns the slot at `at` into an owned tree and returns it.
    fn owned_at(&mut self, at: usize) -> &mut Value {
        let parsed = match &self.entries[at].value {
            Slot::Raw { start, end, tree } => Some(
                tree.get()
                    .cloned()
                    .or_else(|| serde_json::from_str(self.raw_text(*start, *end)).ok())
                    .unwrap_or_default(),
            ),
            Slot::Owned(_) => None,
        };
        let slot = &mut self.entries[at].value;
        if let Some(value) = parsed {
            *slot = Slot::Owned(value);
        }
        match slot {
            Slot::Owned(value) => value,
            Slot::Raw { .. } => unreachable!("the slot was made owned just above"),
        }
    }

    /// Serializes `value` and stores it under `key` (in place when the key exists, else last).
    ///
    /// # Errors
    /// When `value` does not serialize to JSON (e.g. a map with non-string keys); the state is
    /// then unchanged.
    pub fn insert<T: Serialize>(
        &mut self,
        key: impl Into<String>,
        value: T,
    ) -> Result<(), serde_json::Error> {
        let value = serde_json::to_value(value)?;
        self.insert_value(key, value);
        Ok(())
    }

    /// Stores `value` under `key`, returning the previous value (parsed) if there was one.
    pub fn insert_value(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.position(&key) {
            Some(at) => {
                let old = std::mem::replace(&mut self.entries[at].value, Slot::Owned(value));
                self.take_value(old)
            }
            None => {
                self.entries.push(Entry::owned(key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value (parsed) if it was there.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let at = self.position(key)?;
        let entry = self.entries.remove(at);
        self.take_value(entry.value)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.source = Vec::new();
    }

    /// Keeps only the keys for which `keep` answers true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let source = &self.source;
        self.entries.retain(|entry| keep(entry.key_str(source)));
    }

    fn take_value(&self, slot: Slot) -> Option<Value> {
        match slot {
            Slot::Raw { start, end, tree } => tree
                .into_inner()
                .or_else(|| serde_json::from_str(self.raw_text(start, end)).ok()),
            Slot::Owned(value) => Some(value),
        }
    }

    /// The whole state as a tree: parses every raw value.
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .map(|entry| {
                let value = self.tree(&entry.value).map(Cow::into_owned);
                (
                    entry.key_str(&self.source).to_owned(),
                    value.unwrap_or_default(),
                )
            })
            .collect()
    }

    /// A guess at the bytes [`write_json`](Self::write_json) writes, for sizing a buffer once:
    /// the payload the state was read from (its raw values are copied back as they are) plus
    /// room for the values set since. Never a limit.
    pub(crate) fn written_len_hint(&self) -> usize {
        const ROOM_PER_SET_VALUE: usize = 64;
        let set = self
            .entries
            .iter()
            .filter(|entry| matches!(entry.value, Slot::Owned(_)))
            .count();
        self.source.len() + ROOM_PER_SET_VALUE * (set + 1)
    }

    /// Writes the state as a JSON object in `dialect`: raw values byte for byte, set values and
    /// every key in the dialect's spelling.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>, dialect: JsonDialect) {
        let (item_separator, key_separator, sort_keys): (&[u8], &[u8], bool) = match dialect {
            JsonDialect::Compact => (b",", b":", false),
            JsonDialect::Python(style) => {
                (style.item_separator, style.key_separator, style.sort_keys)
            }
        };
        out.push(b'{');
        let mut write_entry = |index: usize, entry: &Entry| {
            if index > 0 {
                out.extend_from_slice(item_separator);
            }
            match entry.key {
                Key::Raw { plain: true, .. } => {
                    out.push(b'"');
                    out.extend_from_slice(entry.key_bytes(&self.source));
                    out.push(b'"');
                }
                _ => write_scalar_or_tree(out, entry.key_str(&self.source), dialect),
            }
            out.extend_from_slice(key_separator);
            match &entry.value {
                Slot::Raw { start, end, .. } => {
                    out.extend_from_slice(self.raw_bytes(*start, *end));
                }
                Slot::Owned(value) => write_scalar_or_tree(out, value, dialect),
            }
        };
        if sort_keys {
            // Byte order of UTF-8 is code-point order, as Python sorts `str`.
            let mut order: Vec<&Entry> = self.entries.iter().collect();
            order.sort_unstable_by(|a, b| a.key_bytes(&self.source).cmp(b.key_bytes(&self.source)));
            order
                .into_iter()
                .enumerate()
                .for_each(|(i, e)| write_entry(i, e));
        } else {
            self.entries
                .iter()
                .enumerate()
                .for_each(|(i, e)| write_entry(i, e));
        }
        out.push(b'}');
    }
}

/// A summary of a key, equal for equal keys: its length, its first and its last eight bytes.
fn key_summary(key: &[u8]) -> u64 {
    let (head, tail) = match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => (
            key.iter()
                .fold(0, |word, &byte| word << 8 | u64::from(byte)),
            0,
        ),
    };
    head ^ tail.rotate_left(29) ^ (key.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The position of the key whose summary is `summary` and for which `is_it` agrees (summaries
/// of different keys may collide).
fn find_key(summaries: &[u64], summary: u64, is_it: impl Fn(usize) -> bool) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = summaries.get(from..)?.iter().position(|s| *s == summary) {
        let at = from + offset;
        if is_it(at) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Writes one key or value. Writing a string or a `Value` into memory cannot fail: keys are
/// strings and `Value` numbers are finite.
fn write_scalar_or_tree<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T, dialect: JsonDialect) {
    let written = match dialect {
        JsonDialect::Compact => serde_json::to_writer(&mut *out, value),
        JsonDialect::Python(style) => pyjson::to_writer_styled(&mut *out, value, style),
    };
    debug_assert!(
        written.is_ok(),
        "a JSON value always serializes into memory"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(state: &SessionState, dialect: JsonDialect) -> String {
        let mut out = Vec::new();
        state.write_json(&mut out, dialect);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn untouched_values_are_written_back_exactly() {
        // Python's spelling, an integer beyond 64 bits and an escape: all kept byte for byte.
        let text =
            r#"{"a": [1, 2.5], "big": 123456789012345678901234567890, "e": 1e+16, "s": "\u00e9"}"#;
        let mut state = SessionState::parse(text.as_bytes().to_vec()).unwrap();
        assert_eq!(
            written(&state, JsonDialect::Python(PyJsonStyle::DEFAULT)),
            text
        );
        state.insert("n", 1.5).unwrap();
        assert_eq!(
            written(&state, JsonDialect::Python(PyJsonStyle::DEFAULT)),
            r#"{"a": [1, 2.5], "big": 123456789012345678901234567890, "e": 1e+16, "s": "\u00e9", "n": 1.5}"#
        );
        assert_eq!(state.get::<String>("s").unwrap().as_deref(), Some("é"));
    }

    #[test]
    fn keys_are_copied_back_only_when_every_dialect_spells_them_alike() {
        let text = "{\"\u{e9}\":1,\"a\\u0062\":2,\"c\u{7f}\":3,\"plain key\":4}";
        let state = SessionState::parse(text.as_bytes().to_vec()).unwrap();
        assert_eq!(
            state.keys().collect::<Vec<_>>(),
            ["\u{e9}", "ab", "c\u{7f}", "plain key"]
        );
        assert_eq!(
            written(&state, JsonDialect::Python(PyJsonStyle::DEFAULT)),
            r#"{"\u00e9": 1, "ab": 2, "c\u007f": 3, "plain key": 4}"#
        );
        assert_eq!(
            written(&state, JsonDialect::Compact),
            "{\"\u{e9}\":1,\"ab\":2,\"c\u{7f}\":3,\"plain key\":4}"
        );
        assert_eq!(state.get::<u8>("ab").unwrap(), Some(2));
        assert_eq!(state.get::<u8>("\u{e9}").unwrap(), Some(1));
    }

    #[test]
    fn a_key_is_found_past_colliding_summaries() {
        assert_eq!(find_key(&[5, 7, 5, 5], 5, |at| at == 2), Some(2));
        assert_eq!(find_key(&[5, 7, 5], 5, |_| false), None);
        assert_eq!(find_key(&[], 5, |_| true), None);
        // Keys up to 8 bytes are their own summary (with the length): no two collide.
        assert_ne!(key_summary(b"ab"), key_summary(b"ba"));
        assert_ne!(key_summary(b"a"), key_summary(b"\0a"));
        assert_eq!(key_summary(b"recent_10"), key_summary(b"recent_10"));
    }

    #[test]
    fn duplicate_keys_keep_the_first_place_and_the_last_value() {
        let state = SessionState::parse(br#"{"a":1,"b":2,"a":3}"#.to_vec()).unwrap();
        assert_eq!(state.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(state.get::<u8>("a").unwrap(), Some(3));
        assert_eq!(written(&state, JsonDialect::Compact), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn the_whole_payload_is_validated_at_load() {
        for bad in [
            r#"{"a": [1, }"#,
            r#"{"a": tru}"#,
            r#"[1, 2]"#,
            r#"{"a": 1} x"#,
            r#"{"a": "\ud8"}"#,
            "",
        ] {
            assert_eq!(
                SessionState::parse(bad.as_bytes().to_vec()),
                Err(DecodeError::BadPayload),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_object_inside_a_larger_payload_points_into_it() {
        let payload = br#"[1700000000, 1700000000.5, {"user": "john", "n": [1, 2]}]"#.to_vec();
        let mut scanner = Scanner::new(&payload, 0);
        scanner.open(b'[').unwrap();
        assert_eq!(scanner.number_f64().unwrap(), 1_700_000_000.0);
        scanner.expect(b',').unwrap();
        assert_eq!(scanner.number_f64().unwrap(), 1_700_000_000.5);
        scanner.expect(b',').unwrap();
        let entries = scanner.object().unwrap();
        scanner.expect(b']').unwrap();
        scanner.finish().unwrap();
        let state = SessionState::from_scanned(payload, entries).unwrap();
        assert_eq!(
            state.get::<String>("user").unwrap().as_deref(),
            Some("john")
        );
        assert_eq!(state.get_value("n"), Some(&serde_json::json!([1, 2])));
    }

    #[test]
    fn sorted_dialect_sorts_top_level_keys_and_set_values() {
        let mut state = SessionState::parse(br#"{"z":1,"a":{"y":1,"b":2}}"#.to_vec()).unwrap();
        state
            .insert("m", serde_json::json!({"q": 1, "c": 2}))
            .unwrap();
        // Raw values are kept as they came (Flask wrote them sorted already); set ones are sorted.
        assert_eq!(
            written(&state, JsonDialect::Python(PyJsonStyle::COMPACT_SORTED)),
            r#"{"a":{"y":1,"b":2},"m":{"c":2,"q":1},"z":1}"#
        );
    }

    #[test]
    fn remove_insert_and_trees() {
        let mut state = SessionState::parse(br#"{"a":1,"b":[true]}"#.to_vec()).unwrap();
        assert_eq!(state.remove("a"), Some(serde_json::json!(1)));
        assert_eq!(
            state.insert_value("b", Value::Null),
            Some(serde_json::json!([true]))
        );
        assert_eq!(
            state.to_map(),
            serde_json::from_str::<Map<_, _>>(r#"{"b":null}"#).unwrap()
        );
        assert_eq!(format!("{state:?}"), r#"{"b"}"#);
        let from_map = SessionState::from(state.to_map());
        assert_eq!(from_map, state);
    }
}
