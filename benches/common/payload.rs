//! The JSON text of every benchmark payload, built with nothing but `std`, so that the
//! library's benches and the independent floor (`bench-floor/`, a separate crate with its own
//! `serde_json` features) read and write the very same bytes.
//!
//! Shared by `#[path]` inclusion; each includer uses only part of it.
#![allow(dead_code)]

use std::fmt::Write as _;

/// The sweep's state sizes: bytes of compact JSON (0 = the empty object, `{}`), 0 B to 3 KB.
pub const SWEEP: [usize; 13] = [
    0, 48, 118, 200, 300, 450, 640, 900, 1200, 1600, 2048, 2500, 3072,
];

/// How the JSON is spelled: `serde_json`'s compact writer, or CPython's `json.dumps` default
/// (`", "` and `": "`), as Pyramid writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    Compact,
    Python,
}

impl Spelling {
    fn separators(self) -> (&'static str, &'static str) {
        match self {
            Self::Compact => (",", ":"),
            Self::Python => (", ", ": "),
        }
    }
}

/// A JSON object written entry by entry.
struct Object {
    text: String,
    spelling: Spelling,
    entries: usize,
}

impl Object {
    fn new(spelling: Spelling) -> Self {
        Self {
            text: String::from("{"),
            spelling,
            entries: 0,
        }
    }

    /// What `push(key, value)` would add.
    fn entry(&self, key: &str, value: &str) -> String {
        let (item, colon) = self.spelling.separators();
        let comma = if self.entries > 0 { item } else { "" };
        format!("{comma}\"{key}\"{colon}{value}")
    }

    fn push(&mut self, key: &str, value: &str) {
        let entry = self.entry(key, value);
        self.text.push_str(&entry);
        self.entries += 1;
    }

    fn close(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// The small fixture's entries: a user id, a name, two roles and a CSRF token.
fn small_entries(spelling: Spelling) -> Vec<(String, String)> {
    let (item, _) = spelling.separators();
    vec![
        ("user_id".into(), "4815162".into()),
        ("name".into(), "\"Jonathan Quincy Public\"".into()),
        (
            "roles".into(),
            format!("[\"administrator\"{item}\"editor\"]"),
        ),
        (
            "_csrft_".into(),
            "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b\"".into(),
        ),
    ]
}

/// One recently viewed item, as the large fixture lists them.
fn recent_item(i: u32, spelling: Spelling) -> String {
    let (item, colon) = spelling.separators();
    let seen = 1_699_990_000.25 + f64::from(i) * 61.5;
    format!(
        "{{\"path\"{colon}\"/catalogue/items/{}\"{item}\"title\"{colon}\"Item number {i} with a descriptive title\"{item}\"seen\"{colon}{seen}}}",
        100_000 + i * 7_919
    )
}

fn prefs(spelling: Spelling) -> String {
    let (item, colon) = spelling.separators();
    let mut text = String::from("{");
    for (index, (key, value)) in [
        ("theme", "\"dark\""),
        ("lang", "\"en-GB\""),
        ("tz", "\"Europe/London\""),
        ("page_size", "50"),
        ("beta", "true"),
        ("density", "0.75"),
    ]
    .into_iter()
    .enumerate()
    {
        if index > 0 {
            text.push_str(item);
        }
        let _ = write!(text, "\"{key}\"{colon}{value}");
    }
    text.push('}');
    text
}

/// The small fixture (139 bytes compact): a logged-in user.
pub fn small(spelling: Spelling) -> String {
    let mut object = Object::new(spelling);
    for (key, value) in small_entries(spelling) {
        object.push(&key, &value);
    }
    object.close()
}

/// The large fixture (about 2 KB compact): the small one, 16 recently viewed items, preferences.
pub fn large(spelling: Spelling) -> String {
    let (item, _) = spelling.separators();
    let mut object = Object::new(spelling);
    for (key, value) in small_entries(spelling) {
        object.push(&key, &value);
    }
    let recent: Vec<String> = (0..16).map(|i| recent_item(i, spelling)).collect();
    object.push("recent", &format!("[{}]", recent.join(item)));
    object.push("prefs", &prefs(spelling));
    object.close()
}

/// A state of exactly `size` bytes of compact JSON (`{}` for 0; at least 2 otherwise): the small
/// fixture's entries, then recently viewed items each under its own key, as many as fit, then one
/// string that pads to the exact size. In the Python spelling the same entries are longer.
pub fn sweep(size: usize) -> (String, String) {
    let mut compact = Object::new(Spelling::Compact);
    let mut python = Object::new(Spelling::Python);
    // Room kept for the padding entry: `,"pad":""`.
    const PAD_OVERHEAD: usize = 9;
    let candidates = small_entries(Spelling::Compact)
        .into_iter()
        .zip(small_entries(Spelling::Python))
        .map(|((key, c), (_, p))| (key, c, p))
        .chain((0..).map(|i| {
            (
                format!("recent_{i}"),
                recent_item(i, Spelling::Compact),
                recent_item(i, Spelling::Python),
            )
        }));
    for (key, c, p) in candidates {
        let grown = compact.text.len() + compact.entry(&key, &c).len() + 1;
        if grown + PAD_OVERHEAD > size {
            break;
        }
        compact.push(&key, &c);
        python.push(&key, &p);
    }
    let room = size.saturating_sub(compact.text.len() + 1);
    if room >= PAD_OVERHEAD - usize::from(compact.entries == 0) {
        let fill = "x".repeat(room - compact.entry("pad", "\"\"").len());
        let value = format!("\"{fill}\"");
        compact.push("pad", &value);
        python.push("pad", &value);
    }
    let (compact, python) = (compact.close(), python.close());
    debug_assert!(
        size < 2 || compact.len() == size,
        "{size}: {}",
        compact.len()
    );
    (compact, python)
}

/// The compact JSON of a sweep state.
pub fn sweep_compact(size: usize) -> String {
    sweep(size).0
}

/// The name of a sweep size in operation names: `s0000`…`s3072`.
pub fn sweep_name(size: usize) -> String {
    format!("s{size:04}")
}

/// The sweep size an operation name's last part names.
pub fn parse_sweep_name(name: &str) -> Option<usize> {
    let digits = name.strip_prefix('s')?;
    let size = digits.parse().ok()?;
    SWEEP.contains(&size).then_some(size)
}
