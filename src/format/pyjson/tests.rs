//! The Python formatter against CPython: pinned outputs, and a differential test that runs
//! `python3` (required; `COOKIE_SESSION_SKIP_PYTHON=1` skips it where no Python exists).

use std::process::Command;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use serde_json::{Map, Value, json};

use super::*;

/// Serializes through the Python formatter and returns the text.
fn dumps<T: Serialize + ?Sized>(value: &T) -> String {
    String::from_utf8(to_vec(value).expect("serializable")).expect("ascii output")
}

fn styled<T: Serialize + ?Sized>(value: &T, style: PyJsonStyle) -> String {
    let mut out = Vec::new();
    to_writer_styled(&mut out, value, style).expect("serializable");
    String::from_utf8(out).expect("ascii output")
}

/// `repr(value)` via [`write_float_repr`].
fn repr(value: f64) -> String {
    let mut out = Vec::new();
    write_float_repr(&mut out, value);
    String::from_utf8(out).expect("ascii output")
}

#[test]
fn styles_match_cpython_separators_and_sort_keys() {
    let value: Value = serde_json::from_str(r#"{"b":[1,2.5,{"z":1,"a":"é"}],"a":null}"#).unwrap();
    // json.dumps(v, separators=(",", ":"), sort_keys=True), without sort_keys, and plain.
    assert_eq!(
        styled(&value, PyJsonStyle::COMPACT_SORTED),
        r#"{"a":null,"b":[1,2.5,{"a":"\u00e9","z":1}]}"#
    );
    assert_eq!(
        styled(&value, PyJsonStyle::COMPACT),
        r#"{"b":[1,2.5,{"z":1,"a":"\u00e9"}],"a":null}"#
    );
    assert_eq!(
        styled(&value, PyJsonStyle::DEFAULT),
        r#"{"b": [1, 2.5, {"z": 1, "a": "\u00e9"}], "a": null}"#
    );
}

#[test]
fn scalars_and_integer_extremes() {
    assert_eq!(dumps(&Value::Null), "null");
    assert_eq!(dumps(&true), "true");
    assert_eq!(dumps(&-1), "-1");
    assert_eq!(
        dumps(&i128::MIN),
        "-170141183460469231731687303715884105728"
    );
    assert_eq!(dumps(&u128::MAX), "340282366920938463463374607431768211455");
    // python3 -c 'import json; print(json.dumps([-9223372036854775808, 18446744073709551615, 0, -1]))'
    assert_eq!(
        dumps(&json!([i64::MIN, u64::MAX, 0, -1])),
        "[-9223372036854775808, 18446744073709551615, 0, -1]"
    );
}

#[test]
fn string_escapes_match_cpython() {
    // CPython 3.11 `json.dumps(s)`.
    let cases: &[(&str, &str)] = &[
        ("", r#""""#),
        ("quote\"back\\slash/", r#""quote\"back\\slash/""#),
        ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
        (
            "\u{0}\u{1}\u{1f}\u{b}\u{7f} ~",
            r#""\u0000\u0001\u001f\u000b\u007f ~""#,
        ),
        ("caf\u{e9}", r#""caf\u00e9""#),
        (
            "\u{2028}\u{2029}\u{e000}\u{feff}",
            r#""\u2028\u2029\ue000\ufeff""#,
        ),
        (
            "\u{a0}\u{ff}\u{100}\u{fff}\u{ffff}",
            r#""\u00a0\u00ff\u0100\u0fff\uffff""#,
        ),
        ("a\u{10ffff}b\u{10000}", r#""a\udbff\udfffb\ud800\udc00""#),
        ("mixed 😀 é\n\"x\"", r#""mixed \ud83d\ude00 \u00e9\n\"x\"""#),
        ("日本語", r#""\u65e5\u672c\u8a9e""#),
    ];
    for (input, expected) in cases {
        assert_eq!(dumps(*input), *expected, "input {input:?}");
        assert_eq!(dumps(&Value::from(*input)), *expected, "input {input:?}");
    }
    assert_eq!(dumps(&'\u{7f}'), r#""\u007f""#);
    assert_eq!(dumps(&'😀'), r#""\ud83d\ude00""#);
}

#[test]
fn serde_json_escapes_are_already_cpythons() {
    // Not overridden: serde_json's own spelling of the escapes it makes.
    let mut out = Vec::new();
    let mut formatter = PythonFormatter::default();
    for escape in [
        CharEscape::Quote,
        CharEscape::ReverseSolidus,
        CharEscape::Backspace,
        CharEscape::FormFeed,
        CharEscape::LineFeed,
        CharEscape::CarriageReturn,
        CharEscape::Tab,
        CharEscape::AsciiControl(0x1b),
    ] {
        formatter.write_char_escape(&mut out, escape).unwrap();
    }
    assert_eq!(out, br#"\"\\\b\f\n\r\t\u001b"#);
}

#[test]
fn nested_structures_key_order_and_map_keys() {
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
    assert_eq!(dumps(&json!([{}, []])), "[{}, []]");
    // python3 -c 'import json; print(json.dumps({1: 2, 1.5: 3, 1e16: 5}))'
    let mut map = std::collections::BTreeMap::new();
    map.insert(1, 2);
    assert_eq!(dumps(&map), r#"{"1": 2}"#);
    assert_eq!(
        dumps(&FloatKeys(vec![(1.5, 3), (1e16, 5)])),
        r#"{"1.5": 3, "1e+16": 5}"#
    );
}

/// A map with float keys, in vector order.
struct FloatKeys(Vec<(f64, i32)>);

impl Serialize for FloatKeys {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
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

/// `(value, CPython 3.11 repr(value))`.
const FLOAT_CASES: &[(f64, &str)] = &[
    (0.0, "0.0"),
    (-0.0, "-0.0"),
    (1.0, "1.0"),
    (100.0, "100.0"),
    (0.5, "0.5"),
    (0.1, "0.1"),
    (0.30000000000000004, "0.30000000000000004"),
    (1.0 / 3.0, "0.3333333333333333"),
    (-123.456, "-123.456"),
    (123456789.125, "123456789.125"),
    (1700000000.123456, "1700000000.123456"),
    (0.001, "0.001"),
    (0.0001, "0.0001"),
    (-0.0001, "-0.0001"),
    (0.00012345, "0.00012345"),
    (9.999999999999999e-5, "9.999999999999999e-05"),
    (5e-5, "5e-05"),
    (1e-5, "1e-05"),
    (0.000012345, "1.2345e-05"),
    (1e-7, "1e-07"),
    (1e-100, "1e-100"),
    (5e-324, "5e-324"),
    (2.2250738585072014e-308, "2.2250738585072014e-308"),
    (1e15, "1000000000000000.0"),
    (1234567890123456.8, "1234567890123456.8"),
    (9999999999999998.0, "9999999999999998.0"),
    (1e16, "1e+16"),
    (-1e16, "-1e+16"),
    (1.0000000000000002e16, "1.0000000000000002e+16"),
    (1.2345678901234568e17, "1.2345678901234568e+17"),
    (1e22, "1e+22"),
    (6.02214076e23, "6.02214076e+23"),
    (1e100, "1e+100"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    // Exact ties between two shortest candidates: CPython picks the even last digit. (Written
    // as sums because these exact literals trip `clippy::excessive_precision`.)
    (1402503115706520.0 + 0.25, "1402503115706520.2"),
    (-1341538170625153.0 - 0.25, "-1341538170625153.2"),
    (562949953421312.0 + 0.75, "562949953421312.8"),
    (500000000000000.0 + 0.25, "500000000000000.25"),
    (0.5 + 1.0 / 131_072.0, "0.5000076293945312"),
    (4503599627370495.5, "4503599627370495.5"),
];

#[test]
fn float_repr_matches_cpython() {
    for &(value, expected) in FLOAT_CASES {
        let bits = value.to_bits();
        assert_eq!(repr(value), expected, "bits {bits:#018x}");
        assert_eq!(dumps(&value), expected, "bits {bits:#018x}");
        assert_eq!(dumps(&Value::from(value)), expected, "bits {bits:#018x}");
    }
    // python3 -c 'import json; print(json.dumps([0.1, 1e16, -0.0, 2.0]))'
    assert_eq!(
        dumps(&json!([0.1, 1e16, -0.0, 2.0])),
        "[0.1, 1e+16, -0.0, 2.0]"
    );
}

#[test]
fn non_finite_floats_never_panic() {
    let mut out = b"x=".to_vec();
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        write_float_repr(&mut out, value);
    }
    assert_eq!(out, b"x=naninf-inf", "Python's repr");
    let mut out = Vec::new();
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = PythonFormatter::default()
            .write_f64(&mut out, value)
            .expect_err("not JSON");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
    assert!(out.is_empty());
    // serde_json writes NaN as null before the formatter sees it (CPython: `NaN`), and refuses
    // non-finite map keys itself.
    assert_eq!(dumps(&f64::NAN), "null");
    assert!(to_vec(&FloatKeys(vec![(f64::INFINITY, 1)])).is_err());
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

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Floats of every kind that matters: arbitrary bit patterns, values around the fixed /
/// scientific switches, short decimals, and the tie-prone ones (short binary fractions, whose
/// exact value can lie halfway between two shortest candidates).
fn test_floats(rng: &mut Rng) -> Vec<f64> {
    let mut values = vec![
        0.0,
        -0.0,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        1e16,
        1e-5,
        1e-4,
    ];
    while values.len() < 2_000 {
        let v = f64::from_bits(rng.next());
        if v.is_finite() {
            values.push(v);
        }
    }
    for _ in 0..2_000 {
        // Binary exponents from 2^-20 to 2^60: both notation switches.
        let exp = 1023 - 20 + rng.below(80);
        values.push(f64::from_bits(
            (rng.next() & 0x800f_ffff_ffff_ffff) | (exp << 52),
        ));
    }
    for _ in 0..2_000 {
        let mantissa = rng.below(100_000_000) as f64;
        values.push(mantissa * 10f64.powi(rng.below(40) as i32 - 20));
    }
    for _ in 0..6_000 {
        // Quarter fractions in [2^48, 2^51), where shortest candidates tie.
        let int = (1u64 << 48) + rng.below(7 << 48);
        values.push(int as f64 + [0.25, 0.5, 0.75][rng.below(3) as usize]);
    }
    for _ in 0..8_000 {
        // m / 2^t anywhere in range: the only values short enough to tie.
        let t = rng.below(60) as i32;
        let m = rng.next() >> (11 + rng.below(40));
        let sign = if rng.below(2) == 0 { 1.0 } else { -1.0 };
        values.push(sign * m as f64 * 2f64.powi(-t));
    }
    values
}

/// A string drawing on every escape class: plain ASCII, quotes and backslashes, controls,
/// DEL, Latin-1, the rest of the BMP (surrogate code points excluded), and astral characters.
fn test_string(rng: &mut Rng) -> String {
    let len = rng.below(12);
    (0..len)
        .map(|_| {
            let code = match rng.below(7) {
                0 | 1 => 0x20 + rng.below(0x5f) as u32,
                2 => [u32::from(b'"'), u32::from(b'\\'), u32::from(b'/')][rng.below(3) as usize],
                3 => rng.below(0x20) as u32,
                4 => 0x7f + rng.below(0x81) as u32,
                5 => 0x100 + rng.below(0xd800 - 0x100) as u32,
                _ => 0x1_0000 + rng.below(0x10_0000) as u32,
            };
            char::from_u32(code).unwrap_or('\u{fffd}')
        })
        .collect()
}

/// A nested value of every JSON kind, at most `depth` levels deep.
fn test_value(rng: &mut Rng, floats: &[f64], depth: u32) -> Value {
    let kind = if depth == 0 {
        rng.below(5)
    } else {
        rng.below(7)
    };
    match kind {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::from(rng.next() as i64 >> rng.below(64)),
        3 => Value::from(floats[rng.below(floats.len() as u64) as usize]),
        4 => Value::String(test_string(rng)),
        5 => (0..rng.below(5))
            .map(|_| test_value(rng, floats, depth - 1))
            .collect(),
        _ => Value::Object(
            (0..rng.below(5))
                .map(|_| (test_string(rng), test_value(rng, floats, depth - 1)))
                .collect::<Map<_, _>>(),
        ),
    }
}

/// Runs a Python script on `input`, or `None` when skipping is allowed and python3 is missing.
fn python(script: &str, input: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!(
        "pyjson-differential-{}-{:?}.txt",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, input).expect("write the input file");
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let output = match output {
        Ok(output) => output,
        Err(err) if std::env::var_os("COOKIE_SESSION_SKIP_PYTHON").is_some_and(|v| v == "1") => {
            eprintln!("COOKIE_SESSION_SKIP_PYTHON=1 and python3 unavailable ({err}): skipped");
            return None;
        }
        Err(err) => panic!(
            "python3 is needed for the CPython differential test ({err}); \
             set COOKIE_SESSION_SKIP_PYTHON=1 only where no Python can be installed"
        ),
    };
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).expect("ensure_ascii output"))
}

#[test]
fn floats_match_cpython_repr() {
    let values = test_floats(&mut Rng(0x9e37_79b9_7f4a_7c15));
    let input: String = values
        .iter()
        .map(|v| format!("{:016x}\n", v.to_bits()))
        .collect();
    let script = "import struct, sys\n\
        for line in open(sys.argv[1]):\n\
        \x20   print(repr(struct.unpack('>d', bytes.fromhex(line.strip()))[0]))\n";
    let Some(stdout) = python(script, &input) else {
        return;
    };
    let mut lines = stdout.lines();
    for &value in &values {
        let expected = lines.next().expect("one line per value");
        assert_eq!(repr(value), expected, "bits {:#018x}", value.to_bits());
    }
    assert_eq!(lines.next(), None);
}

#[test]
fn strings_and_nested_values_match_cpython_in_every_style() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let floats = test_floats(&mut rng);
    let mut values: Vec<Value> = (0..300)
        .map(|_| Value::String(test_string(&mut rng)))
        .collect();
    values.extend((0..300).map(|_| test_value(&mut rng, &floats, 4)));
    // serde_json's own output, read back by json.loads: the same objects, keys in order.
    let input: String = values
        .iter()
        .map(|v| serde_json::to_string(v).expect("serializable") + "\n")
        .collect();
    let script = "import json, sys\n\
        for line in open(sys.argv[1], encoding='utf-8'):\n\
        \x20   v = json.loads(line)\n\
        \x20   print(json.dumps(v))\n\
        \x20   print(json.dumps(v, separators=(',', ':')))\n\
        \x20   print(json.dumps(v, separators=(',', ':'), sort_keys=True))\n";
    let Some(stdout) = python(script, &input) else {
        return;
    };
    let mut lines = stdout.lines();
    for value in &values {
        for style in [
            PyJsonStyle::DEFAULT,
            PyJsonStyle::COMPACT,
            PyJsonStyle::COMPACT_SORTED,
        ] {
            let expected = lines.next().expect("three lines per value");
            assert_eq!(styled(value, style), expected, "{style:?} of {value}");
        }
    }
    assert_eq!(lines.next(), None);
}
