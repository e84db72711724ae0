//! The `cookie-session` binary, run as a user would run it (the README's "Command-line tool"
//! section states its contract).
#![cfg(feature = "cli")]

use std::ffi::OsString;
use std::process::Command;

use base64::Engine as _;
use cookie_session::{CookieSessionFactory, PyramidHash, Secret, UnixTime};
use serde_json::{Map, Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cookie-session");
/// 32 bytes, the shortest secret the native format accepts.
const SECRET_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const SECRET_B: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const HASHES: [&str; 6] = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The decode output, which must be exactly one JSON object on one line.
    fn json(&self) -> Map<String, Value> {
        assert_eq!(
            self.stdout.lines().count(),
            1,
            "one line: {:?}",
            self.stdout
        );
        match serde_json::from_str(&self.stdout) {
            Ok(Value::Object(map)) => map,
            other => panic!("not a JSON object: {other:?} from {:?}", self.stdout),
        }
    }

    fn value(&self) -> &str {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self.stdout.trim_end()
    }
}

fn run_with_env<S: Into<OsString> + Clone>(args: &[S], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(BIN);
    command.args(args.iter().cloned().map(Into::into));
    command.env_remove("RUST_BACKTRACE");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the binary runs");
    Run {
        code: output
            .status
            .code()
            .expect("exited, not killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

fn run(args: &[&str]) -> Run {
    run_with_env(args, &[])
}

/// A usage error: exit 2, one line on stderr, nothing on stdout, no panic.
fn assert_usage_error(args: &[&str]) -> Run {
    let out = run(args);
    assert_eq!(out.code, 2, "{args:?}: stderr {:?}", out.stderr);
    assert_eq!(out.stdout, "", "{args:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {:?}", out.stderr);
    assert!(out.stderr.ends_with('\n'), "{args:?}");
    assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    out
}

fn state(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn keygen_prints_64_random_bytes_as_base64url() {
    let first = run(&["keygen"]);
    let second = run(&["keygen"]);
    let first = first.value();
    assert_ne!(first, second.value());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .expect("unpadded base64url");
    assert_eq!(bytes.len(), 64);
    // And it is usable: as hex, it signs a native cookie that decodes.
    let hex = base16ct::lower::encode_string(&bytes);
    let cookie = run(&["encode", "--secret-hex", &hex, "--state", r#"{"k":1}"#]);
    let decoded = run(&["decode", "--secret-hex", &hex, cookie.value()]);
    assert_eq!(decoded.code, 0);
    assert_eq!(decoded.json()["state"], json!({"k": 1}));
}

#[test]
fn native_round_trip_with_fractional_times() {
    let session =
        r#"{"z":1,"user":"john","nested":{"list":[1,2.5,null,true,"\u2603"]},"é":"\ud83d\ude00"}"#;
    let cookie = run(&[
        "encode",
        "--secret-hex",
        SECRET_A,
        "--state",
        session,
        "--created",
        "1700001200",
        "--now",
        "1700001260.5",
    ]);
    let out = run(&[
        "decode",
        "--secret-hex",
        SECRET_A,
        "--now",
        "1700001300.25",
        cookie.value(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with(r#"{"valid":true,"state":{"z":1,"user":"john","#),
        "key order of the contract and of the cookie: {}",
        out.stdout
    );
    let decoded = out.json();
    let keys: Vec<&str> = decoded.keys().map(String::as_str).collect();
    assert_eq!(keys, ["valid", "state", "created", "accessed", "key_index"]);
    assert_eq!(decoded["state"], Value::Object(state(session)));
    assert_eq!(decoded["created"], json!(1_700_001_200.0));
    assert_eq!(decoded["accessed"], json!(1_700_001_260.0), "whole seconds");
    assert_eq!(decoded["key_index"], json!(0));

    // The cookie name and the salt are bound into a native cookie.
    for other in [["--cookie-name", "sid"], ["--salt", "other-app"]] {
        let args = ["decode", "--secret-hex", SECRET_A, "--now", "1700001300"];
        let out = run(&[&args[..], &other[..], &[cookie.value()]].concat());
        assert_eq!(out.code, 1, "{other:?}");
        assert_eq!(out.json()["reason"], "bad_signature", "{other:?}");
    }
}

#[test]
fn pyramid_round_trip_with_every_hash() {
    let session = r#"{"user_id":12345,"name":"Zoë \u20ac","floats":[0.1,1e16,1e-7,-0.0],"big":-9223372036854775808}"#;
    let secret = "sécrèt-clé for the pyramid app";
    for hash in HASHES {
        let common = [
            "--format", "pyramid", "--hash", hash, "--secret", secret, "--salt", "my.salt.",
        ];
        let encode = [
            "encode",
            "--state",
            session,
            "--created",
            "1700000000.123456",
            "--now",
            "1700000060",
        ];
        let cookie = run(&[&encode[..], &common[..]].concat());
        let out = run(&[
            &["decode"][..],
            &common[..],
            &["--now", "1700000100.5", "--", cookie.value()][..],
        ]
        .concat());
        assert_eq!(out.code, 0, "{hash}: {}", out.stdout);
        let decoded = out.json();
        assert_eq!(decoded["state"], Value::Object(state(session)), "{hash}");
        assert_eq!(decoded["created"], json!(1_700_000_000.123456), "{hash}");
        assert_eq!(decoded["accessed"], json!(1_700_000_060.0), "{hash}");

        // Another hash does not accept it.
        let other = if hash == "sha512" { "sha256" } else { "sha512" };
        let out = run(&[
            "decode",
            "--format",
            "pyramid",
            "--hash",
            other,
            "--secret",
            secret,
            "--salt",
            "my.salt.",
            "--now",
            "1700000100",
            cookie.value(),
        ]);
        assert_eq!(out.code, 1, "{hash} read as {other}");
        assert_eq!(out.json()["valid"], json!(false));
    }
}

#[test]
fn pyramid_defaults_are_sha512_and_pyramids_salt() {
    let explicit = run(&[
        "encode",
        "--format",
        "pyramid",
        "--hash",
        "sha512",
        "--secret",
        "s3cret",
        "--salt-hex",
        // "pyramid.session." as raw bytes: the same key as the default text salt.
        "707972616d69642e73657373696f6e2e",
        "--state",
        "{}",
        "--now",
        "1700000000",
        "--created",
        "1700000000.5",
    ]);
    let defaults = run(&[
        "encode",
        "--format=pyramid",
        "--secret=s3cret",
        "--state={}",
        "--now=1700000000",
        "--created=1700000000.5",
    ]);
    assert_eq!(explicit.value(), defaults.value());
}

#[test]
fn a_cookie_starting_with_a_dash_is_read_after_double_dash() {
    // Find a state whose cookie starts with '-' (about one in 64), with the library itself.
    let factory = CookieSessionFactory::builder(Secret::from_text("dash-secret"))
        .pyramid(PyramidHash::Sha256)
        .allow_short_secret()
        .build()
        .unwrap();
    let now = UnixTime::from_secs(1_700_000_000);
    let (n, cookie) = (0..10_000u32)
        .map(|n| {
            let state = state(&format!(r#"{{"n":{n}}}"#));
            (n, factory.encode_value(&state, now, now).unwrap())
        })
        .find(|(_, cookie)| cookie.starts_with('-'))
        .expect("some cookie starts with '-'");
    let args = [
        "decode",
        "--format",
        "pyramid",
        "--hash",
        "sha256",
        "--secret",
        "dash-secret",
        "--now",
        "1700000000",
    ];
    let out = run(&[&args[..], &["--", &cookie][..]].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["state"], json!({ "n": n }));

    // Without `--` it is taken for an option, and not repeated in the error.
    let out = assert_usage_error(&[&args[..], &[cookie.as_str()][..]].concat());
    assert!(!out.stderr.contains(&cookie[..20]), "{}", out.stderr);
    assert!(out.stderr.contains("--"), "hints at --: {}", out.stderr);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let s = ["--secret-hex", SECRET_A];
    let bad_cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["frobnicate"],
        vec!["keygen", "extra"],
        vec!["keygen", "--format", "native"],
        vec!["decode"],
        vec!["decode", "cookie"],
        vec!["decode", "--secret"],
        vec!["decode", "--secret-hex"],
        vec!["decode", "--secret-env"],
        vec!["decode", "--salt"],
        vec!["decode", "--secret-hex", SECRET_A, "--now"],
        vec!["decode", "--bogus", "x", "cookie"],
        vec!["decode", "-x", "cookie"],
        vec!["decode", "--encrypt=yes", "cookie"],
        vec!["decode", "--secret-hex", "00112233zz", "cookie"],
        vec!["decode", "--secret-hex", "001", "cookie"],
        vec!["decode", "--salt-hex", "xy", "--secret-hex", SECRET_A, "c"],
        vec!["decode", s[0], s[1], "a", "b"],
        vec!["decode", s[0], s[1], "--created", "1", "cookie"],
        vec!["decode", s[0], s[1], "--state", "{}", "cookie"],
        vec![
            "decode",
            s[0],
            s[1],
            "--format",
            "flask",
            "--encrypt",
            "cookie",
        ],
        vec!["decode", s[0], s[1], "--format", "Native", "cookie"],
        vec!["decode", s[0], s[1], "--now", "1", "--now", "2", "cookie"],
        vec!["encode", s[0], s[1], "--state", "{}", "--state", "{}"],
        vec!["decode", s[0], s[1], "--now", "soon", "cookie"],
        vec!["decode", s[0], s[1], "--now", "NaN", "cookie"],
        vec!["decode", s[0], s[1], "--now", "inf", "cookie"],
        vec!["decode", s[0], s[1], "--now", "-1", "cookie"],
        vec!["decode", s[0], s[1], "--now", "1e20", "cookie"],
        vec!["encode", s[0], s[1], "--created", "-5", "--state", "{}"],
        vec!["decode", s[0], s[1], "--timeout", "-5", "cookie"],
        vec!["decode", s[0], s[1], "--timeout", "forever", "cookie"],
        vec!["decode", s[0], s[1], "--format", "xml", "cookie"],
        vec![
            "decode", s[0], s[1], "--format", "pyramid", "--format", "native", "c",
        ],
        vec![
            "decode", "--format", "pyramid", "--hash", "sha3_256", s[0], s[1], "c",
        ],
        vec!["decode", s[0], s[1], "--hash", "sha256", "cookie"],
        vec![
            "decode",
            s[0],
            s[1],
            "--salt",
            "a",
            "--salt-hex",
            "61",
            "cookie",
        ],
        vec!["decode", s[0], s[1], "--cookie-name", "bad name", "cookie"],
        vec!["decode", s[0], s[1], s[0], s[1], "cookie"],
        vec!["decode", "--secret", "", "cookie"],
        vec![
            "decode",
            "--secret-env",
            "COOKIE_SESSION_TEST_UNSET_VAR",
            "cookie",
        ],
        vec!["encode", s[0], s[1]],
        vec!["encode", s[0], s[1], "--state"],
        vec!["encode", s[0], s[1], "--state", "{bad json"],
        vec!["encode", s[0], s[1], "--state", "[1, 2]"],
        vec!["encode", s[0], s[1], "--state", "\"text\""],
        vec!["encode", s[0], s[1], "--state", "{}", "extra"],
        vec!["encode", "--state", "{}"],
        vec![
            "encode",
            "--format",
            "pyramid",
            "--encrypt",
            "--secret",
            "x",
            "--state",
            "{}",
        ],
        vec![
            "encode",
            "--secret",
            "too short for native",
            "--state",
            "{}",
        ],
    ];
    for args in &bad_cases {
        assert_usage_error(args);
    }
}

#[test]
fn short_native_secret_reports_the_config_error() {
    let out = assert_usage_error(&["decode", "--secret-hex", "00112233", "cookie"]);
    assert!(out.stderr.contains("at least 32 bytes"), "{}", out.stderr);
    // The Pyramid format accepts what Pyramid accepts.
    let out = run(&[
        "encode",
        "--format",
        "pyramid",
        "--secret-hex",
        "00112233",
        "--state",
        "{}",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn encrypt_needs_the_encryption_feature() {
    let session = r#"{"marker":"PLAINTEXT-MARKER"}"#;
    let args = [
        "encode",
        "--encrypt",
        "--secret-hex",
        SECRET_A,
        "--state",
        session,
    ];
    if cfg!(feature = "encryption") {
        let cookie = run(&args);
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cookie.value())
            .unwrap();
        assert!(
            !raw.windows(16).any(|w| w == b"PLAINTEXT-MARKER"),
            "the state is not readable in an encrypted cookie"
        );
        // Either native mode reads both suites.
        for mode in [&["--encrypt"][..], &[]] {
            let decode = [
                &["decode"][..],
                mode,
                &["--secret-hex", SECRET_A, cookie.value()],
            ];
            let out = run(&decode.concat());
            assert_eq!(out.code, 0, "{mode:?}: {}", out.stdout);
            assert_eq!(out.json()["state"], Value::Object(state(session)));
        }
    } else {
        let out = assert_usage_error(&args);
        assert!(out.stderr.contains("encryption"), "{}", out.stderr);
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_are_usage_errors() {
    use std::os::unix::ffi::OsStringExt as _;
    let bad = OsString::from_vec(vec![b'-', b'-', 0xff, 0xfe]);
    let args = [OsString::from("decode"), bad, OsString::from("c")];
    let out = run_with_env(&args, &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn help_lists_the_commands() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        for word in ["keygen", "decode", "encode", "Exit codes"] {
            assert!(out.stdout.contains(word), "{args:?}: {word}");
        }
    }
    let out = run(&["--version"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.trim_end(), "cookie-session 0.1.0");
}

#[test]
fn each_command_has_its_own_help_with_only_its_options() {
    let shared = [
        "--format",
        "--secret-hex",
        "--secret-env",
        "--salt-hex",
        "--timeout",
        "--now",
    ];
    let cases: [(&[&str], &[&str], &[&str]); 5] = [
        (
            &["decode", "--help"],
            &["<COOKIE>", "key_index"],
            &["--state", "--created"],
        ),
        (&["decode", "-h"], &["<COOKIE>"], &["--state", "--created"]),
        (&["help", "decode"], &["<COOKIE>"], &["--state"]),
        (
            &["encode", "-h"],
            &["--state <JSON>", "--created"],
            &["<COOKIE>"],
        ),
        (
            &["encode", "--help"],
            &["--state <JSON>", "--created"],
            &["<COOKIE>"],
        ),
    ];
    for (args, present, absent) in cases {
        let out = run(args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
        for word in shared.iter().chain(present) {
            assert!(out.stdout.contains(word), "{args:?}: {word}");
        }
        for word in absent {
            assert!(!out.stdout.contains(word), "{args:?}: {word}");
        }
    }
    let out = run(&["keygen", "--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("64-byte secret"), "{}", out.stdout);
    assert!(!out.stdout.contains("--secret"), "{}", out.stdout);
}

#[test]
fn a_misspelt_option_or_command_gets_a_suggestion() {
    let out = assert_usage_error(&["decode", "--secrte", "s", "cookie"]);
    assert!(
        out.stderr.contains("did you mean '--secret'"),
        "{}",
        out.stderr
    );
    let out = assert_usage_error(&["encode", "--secret", "s", "--stat", "{}"]);
    assert!(
        out.stderr.contains("did you mean '--state'"),
        "{}",
        out.stderr
    );
    let out = assert_usage_error(&["decdoe", "--secret", "s", "cookie"]);
    assert!(
        out.stderr.contains("did you mean") && out.stderr.contains("'decode'"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_option_of_another_command_is_a_usage_error() {
    let s = ["--secret-hex", SECRET_A];
    let cases: [(&[&str], &str); 4] = [
        (
            &["decode", s[0], s[1], "--state", "{}", "cookie"],
            "--state",
        ),
        (
            &["decode", s[0], s[1], "--created", "1", "cookie"],
            "--created",
        ),
        (&["keygen", "--secret", "s"], "--secret"),
        (&["keygen", "--format", "native"], "--format"),
    ];
    for (args, option) in cases {
        let out = assert_usage_error(args);
        assert!(
            out.stderr
                .contains(&format!("{option} is not an option of this command")),
            "{args:?}: {}",
            out.stderr
        );
    }
    // encode does take --created.
    let out = run(&["encode", s[0], s[1], "--created", "1", "--state", "{}"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn secrets_keep_their_order_across_the_three_secret_options() {
    let text = "a text secret that is long enough for native";
    let env_text = "an environment secret that is long enough too";
    let env = [("CS_TEST_ORDER_SECRET", env_text)];
    let encode_with = |secrets: &[&str]| {
        let args = [&["encode", "--state", "{}"][..], secrets].concat();
        run_with_env(&args, &env).value().to_owned()
    };
    let key_index = |cookie: &str, secrets: &[&str]| {
        let args = [&["decode"][..], secrets, &["--", cookie]].concat();
        let out = run_with_env(&args, &env);
        assert_eq!(out.code, 0, "{secrets:?}: {}", out.stderr);
        out.json()["key_index"].clone()
    };
    // The first secret given signs, whichever option gives it.
    let by_text = encode_with(&["--secret", text, "--secret-hex", SECRET_A]);
    assert_eq!(key_index(&by_text, &["--secret", text]), json!(0));
    let by_hex = encode_with(&["--secret-hex", SECRET_A, "--secret", text]);
    assert_eq!(key_index(&by_hex, &["--secret-hex", SECRET_A]), json!(0));
    let by_env = encode_with(&[
        "--secret-env",
        "CS_TEST_ORDER_SECRET",
        "--secret-hex",
        SECRET_A,
        "--secret",
        text,
    ]);
    assert_eq!(key_index(&by_env, &["--secret", env_text]), json!(0));
    // Verify-only secrets keep their positions too.
    let mixed = [
        "--secret-hex",
        SECRET_B,
        "--secret",
        text,
        "--secret-env",
        "CS_TEST_ORDER_SECRET",
        "--secret-hex",
        SECRET_A,
    ];
    assert_eq!(key_index(&by_text, &mixed), json!(1));
    assert_eq!(key_index(&by_env, &mixed), json!(2));
    assert_eq!(key_index(&by_hex, &mixed), json!(3));
}

/// Every option whose value is refused, given a value that stands for a secret: the error names
/// the option and never repeats the value, on either stream (issue 11).
#[test]
fn no_error_repeats_an_argument_value() {
    const MARK: &str = "Zq9SECRETMARKx7";
    let s = ["--secret-hex", SECRET_A];
    let mark_eq = |option: &str| format!("{option}={MARK}");
    let cases: Vec<(Vec<String>, &str)> = [
        (vec!["decode", "--secret-env", MARK, "c"], "--secret-env"),
        (
            vec![
                "decode",
                "--secret-env",
                &format!("{MARK} with spaces"),
                "c",
            ],
            "--secret-env",
        ),
        (vec!["decode", "--secret-hex", MARK, "c"], "--secret-hex"),
        (
            vec!["decode", s[0], s[1], "--format", MARK, "c"],
            "--format",
        ),
        (
            vec!["decode", s[0], s[1], &mark_eq("--format"), "c"],
            "--format",
        ),
        (
            vec![
                "decode", "--format", "pyramid", "--secret", "x", "--hash", MARK, "c",
            ],
            "--hash",
        ),
        (
            vec![
                "decode",
                s[0],
                s[1],
                "--cookie-name",
                &format!("{MARK};"),
                "c",
            ],
            "--cookie-name",
        ),
        (
            vec!["decode", s[0], s[1], "--salt-hex", MARK, "c"],
            "--salt-hex",
        ),
        (
            vec![
                "decode",
                s[0],
                s[1],
                "--salt",
                MARK,
                "--salt-hex",
                "61",
                "c",
            ],
            "--salt",
        ),
        (
            vec!["decode", s[0], s[1], "--timeout", MARK, "c"],
            "--timeout",
        ),
        (vec!["decode", s[0], s[1], "--now", MARK, "c"], "--now"),
        (
            vec![
                "decode",
                s[0],
                s[1],
                "--encrypt",
                &mark_eq("--encrypt"),
                "c",
            ],
            "--encrypt",
        ),
        (vec!["encode", s[0], s[1], "--state", MARK], "--state"),
        (
            vec![
                "encode",
                s[0],
                s[1],
                "--state",
                &format!("{{\"{MARK}\": }}"),
            ],
            "--state",
        ),
        (
            vec!["encode", s[0], s[1], "--state", "{}", "--created", MARK],
            "--created",
        ),
        (
            vec!["encode", "--secret", MARK, "--state", "{}"],
            "at least 32 bytes",
        ),
        (
            vec![
                "encode", s[0], s[1], "--state", "{}", "--secret", MARK, "--secret", MARK,
            ],
            "identical",
        ),
    ]
    .into_iter()
    .map(|(args, named)| (args.into_iter().map(str::to_owned).collect(), named))
    .collect();
    for (args, named) in &cases {
        let out = assert_usage_error(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            out.stderr.contains(named),
            "{args:?}: names {named}: {}",
            out.stderr
        );
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !stream.to_lowercase().contains("secretmark"),
                "{args:?}: {stream}"
            );
        }
    }
    // Misplaced values: an unknown option, an extra argument, an unknown command.
    let misplaced: [&[&str]; 6] = [
        &["decode", s[0], s[1], &format!("--{MARK}"), "c"],
        &["decode", s[0], s[1], &format!("--secrte={MARK}"), "c"],
        &["decode", s[0], s[1], "c", MARK],
        &["keygen", MARK],
        &[MARK],
        &[&format!("-{MARK}")],
    ];
    for args in misplaced {
        let out = assert_usage_error(args);
        assert!(
            !out.stderr.to_lowercase().contains("secretmark"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A variable's name is repeated when it looks like one: it helps, and it is not the secret.
    let out = assert_usage_error(&["decode", "--secret-env", "CS_TEST_SURELY_UNSET", "c"]);
    assert!(
        out.stderr.contains("CS_TEST_SURELY_UNSET"),
        "{}",
        out.stderr
    );
}

#[test]
fn secrets_never_appear_in_the_output() {
    let text_secret = "Tr0ub4dor-and-3-more-words-SECRETMARK";
    let hex_secret = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2";
    let bad_hex = "5ec2e7zzSECRETMARKzz";
    let cookie = run(&["encode", "--secret", text_secret, "--state", r#"{"a":1}"#]);
    let cookie = cookie.value();
    let runs = [
        run(&["decode", "--secret", text_secret, cookie]),
        run(&["decode", "--secret-hex", hex_secret, cookie]),
        run(&["decode", "--secret-hex", bad_hex, cookie]),
        run(&["decode", "--secret", "SECRETMARK", cookie]),
        run(&["decode", "--secrte", text_secret, cookie]),
        run(&["decode", "-SECRETMARK12345", cookie]),
        run(&["decode", &format!("--secrte={text_secret}"), cookie]),
        run(&["decode", "--secret", text_secret, text_secret, cookie]),
        run(&[
            "encode",
            "--secret",
            text_secret,
            text_secret,
            "--state",
            "{}",
        ]),
        run(&[
            "encode",
            "--secret",
            text_secret,
            "--state",
            "{}",
            "--hash",
            "x",
        ]),
        run(&[
            "encode",
            "--secret",
            text_secret,
            "--secret",
            text_secret,
            "--state",
            "{}",
        ]),
        run(&["encode", "--secret", text_secret, "--state", "{oops"]),
        run(&[text_secret]),
        run(&["SECRETMARK"]),
        run(&[&format!("-{text_secret}")]),
        run_with_env(
            &["decode", "--secret-env", "CS_TEST_SECRET", cookie],
            &[("CS_TEST_SECRET", text_secret)],
        ),
    ];
    for (i, out) in runs.iter().enumerate() {
        for needle in [text_secret, hex_secret, "SECRETMARK", "5ec2e7"] {
            assert!(!out.stdout.contains(needle), "run {i}: {}", out.stdout);
            assert!(!out.stderr.contains(needle), "run {i}: {}", out.stderr);
        }
    }
    // The first and the last really did use the secret.
    assert_eq!(runs[0].code, 0);
    assert_eq!(runs.last().unwrap().code, 0);
}

#[test]
fn secret_env_matches_the_same_text_secret() {
    let text = "an environment secret that is long enough";
    let from_env = run_with_env(
        &[
            "encode",
            "--secret-env",
            "CS_TEST_SECRET",
            "--state",
            r#"{"x":true}"#,
            "--now",
            "1700000000",
        ],
        &[("CS_TEST_SECRET", text)],
    );
    let out = run(&[
        "decode",
        "--secret",
        text,
        "--now",
        "1700000001",
        from_env.value(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["state"], json!({"x": true}));
}

#[test]
fn expiry_follows_the_timeout() {
    let cookie = run(&[
        "encode",
        "--secret-hex",
        SECRET_A,
        "--state",
        r#"{"u":1}"#,
        "--now",
        "1700000000",
    ]);
    let decode_at = |now: &str, timeout: Option<&str>| {
        let mut args = vec!["decode", "--secret-hex", SECRET_A, "--now", now];
        if let Some(timeout) = timeout {
            args.extend(["--timeout", timeout]);
        }
        args.push(cookie.value());
        run(&args)
    };
    // Default timeout 1200: valid at exactly 1200 s, expired after.
    assert_eq!(decode_at("1700001200", None).code, 0);
    let expired = decode_at("1700001200.5", None);
    assert_eq!(expired.code, 1);
    assert_eq!(expired.json()["valid"], json!(false));
    assert_eq!(expired.json()["reason"], "expired");
    // A small timeout is accepted (no reissue time to conflict with).
    assert_eq!(decode_at("1700000005", Some("5")).code, 0);
    assert_eq!(
        decode_at("1700000006", Some("5")).json()["reason"],
        "expired"
    );
    assert_eq!(decode_at("1800000000", Some("none")).code, 0);
}

#[test]
fn verify_only_secret_reports_key_index_1() {
    let old_cookie = run(&[
        "encode",
        "--secret-hex",
        SECRET_B,
        "--state",
        r#"{"v":"old"}"#,
    ]);
    let out = run(&[
        "decode",
        "--secret-hex",
        SECRET_A,
        "--secret-hex",
        SECRET_B,
        old_cookie.value(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["key_index"], json!(1));
    assert_eq!(out.json()["state"], json!({"v": "old"}));

    // Without the old key the cookie is not accepted.
    let out = run(&["decode", "--secret-hex", SECRET_A, old_cookie.value()]);
    assert_eq!(out.code, 1);
    assert_ne!(out.json()["reason"], "expired");
}

#[test]
fn invalid_cookies_exit_1_with_a_reason() {
    let cookie = run(&["encode", "--secret-hex", SECRET_A, "--state", r#"{"a":1}"#]);
    // A character in the middle carries six full bits (the last one may carry padding bits).
    let mut tampered = cookie.value().to_owned();
    let middle = tampered.len() / 2;
    let replacement = if &tampered[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(middle..=middle, replacement);
    let cases = [
        (tampered.as_str(), "bad_signature"),
        ("not base64!", "malformed"),
        ("", "malformed"),
    ];
    for (value, reason) in cases {
        let out = run(&["decode", "--secret-hex", SECRET_A, "--", value]);
        assert_eq!(out.code, 1, "{value:?}");
        let decoded = out.json();
        assert_eq!(decoded["valid"], json!(false));
        assert_eq!(decoded["reason"], reason, "{value:?}");
        assert!(out.stdout.starts_with(r#"{"valid":false,"reason":"#));
    }
}

#[test]
fn oversized_session_is_refused_with_exit_1() {
    let big = format!(r#"{{"blob":"{}"}}"#, "x".repeat(5000));
    let out = run(&["encode", "--secret-hex", SECRET_A, "--state", &big]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("4096"), "{}", out.stderr);
}

/// The vectors made by real Pyramid: every strict case gives Pyramid's verdict through the CLI,
/// and the cookies Pyramid wrote byte for byte are written identically by `encode`.
#[test]
fn pyramid_vectors_through_the_cli() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyramid-signed.json"
    ))
    .unwrap();
    // Python wrote one bare `NaN` (in a lenient case, not used here), which is not JSON.
    let vectors: Value = serde_json::from_str(&text.replace(": NaN,", ": null,")).unwrap();
    let cases = vectors["cases"].as_array().unwrap();
    let mut exact_encodings = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let field = |key: &str| case[key].as_str().unwrap().to_owned();
        let number = |key: &str| case[key].to_string();
        let timeout = match &case["timeout"] {
            Value::Null => "none".to_owned(),
            other => other.to_string(),
        };
        let (hash, secret, salt) = (field("hashalg"), field("secret"), field("salt"));
        let common = [
            "--format", "pyramid", "--hash", &hash, "--secret", &secret, "--salt", &salt,
        ];
        let now = number("now");
        let decode_args = ["decode", "--now", &now, "--timeout", &timeout];
        let out = run(&[&decode_args[..], &common[..], &["--", &field("cookie")][..]].concat());
        let decoded = out.json();
        match case["expect"].as_str().unwrap() {
            "valid" => {
                assert_eq!(out.code, 0, "{name}: {}", out.stdout);
                assert_eq!(decoded["state"], case["state"], "{name}");
                assert_eq!(
                    decoded["created"].as_f64(),
                    case["created"].as_f64(),
                    "{name}"
                );
                assert_eq!(
                    decoded["accessed"].as_f64(),
                    case["accessed"].as_f64(),
                    "{name}"
                );
                assert_eq!(decoded["key_index"], json!(0), "{name}");
            }
            "expired" => {
                assert_eq!(out.code, 1, "{name}");
                assert_eq!(decoded["reason"], "expired", "{name}");
            }
            "invalid" => {
                assert_eq!(out.code, 1, "{name}");
                assert_eq!(decoded["valid"], json!(false), "{name}");
                assert_ne!(decoded["reason"], "expired", "{name}");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }

        // `encode` writes `accessed` as whole seconds and `created` as a float, so it can
        // reproduce the exact cookies whose payload has that shape.
        if case["encode_exact"] != json!(true) {
            continue;
        }
        let payload: Value = serde_json::from_str(case["payload_json"].as_str().unwrap()).unwrap();
        let (accessed, created) = (&payload[0], &payload[1]);
        if !(accessed.is_i64() && created.is_f64()) {
            continue;
        }
        let state = payload[2].to_string();
        let (accessed, created) = (accessed.to_string(), created.to_string());
        let encode_args = [
            "encode",
            "--state",
            &state,
            "--now",
            &accessed,
            "--created",
            &created,
        ];
        let out = run(&[&encode_args[..], &common[..]].concat());
        assert_eq!(
            out.value(),
            field("cookie"),
            "{name}: encode is byte-identical"
        );
        exact_encodings += 1;
    }
    assert!(
        exact_encodings >= 20,
        "only {exact_encodings} exact encodings checked"
    );
}

// ----- --format pyramid-legacy ---------------------------------------------------------------

/// Every case of the Pyramid 1.x vectors through `decode`: the contract's verdict, state,
/// timestamps and key index (a big integer is refused, which its tolerance allows).
#[test]
fn pyramid_legacy_vectors_through_the_cli() {
    let vectors: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyramid-legacy.json"
    )))
    .unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut args = vec!["decode".to_owned(), "--format=pyramid-legacy".to_owned()];
        let secrets =
            std::iter::once(&case["secret_hex"]).chain(case["fallbacks_hex"].as_array().unwrap());
        for hex in secrets {
            args.extend(["--secret-hex".to_owned(), hex.as_str().unwrap().to_owned()]);
        }
        let timeout = case["timeout"]
            .as_u64()
            .map_or("none".into(), |t| t.to_string());
        args.extend(["--timeout".to_owned(), timeout]);
        args.extend(["--now".to_owned(), case["now"].to_string()]);
        args.extend(["--".to_owned(), case["cookie"].as_str().unwrap().to_owned()]);
        let out = run_with_env(&args, &[]);
        let json = out.json();
        match (case["expect"].as_str().unwrap(), case["tolerance"].as_str()) {
            ("valid", None) => {
                assert_eq!(out.code, 0, "{name}: {}", out.stderr);
                assert_eq!(json["state"], case["state"], "{name}");
                assert_eq!(json["created"], case["created"], "{name}");
                assert_eq!(json["accessed"], case["accessed"], "{name}");
                assert_eq!(json["key_index"], case["key_index"], "{name}");
            }
            (expect, tolerance) => {
                let reason = match (expect, tolerance) {
                    ("invalid", None) => "bad_signature",
                    ("expired", None) => "expired",
                    ("unsupported", None) | ("valid", Some("bigint")) => "unsupported",
                    other => panic!("{name}: unexpected {other:?}"),
                };
                assert_eq!(out.code, 1, "{name}");
                assert_eq!(
                    json,
                    state(&format!(r#"{{"valid":false,"reason":"{reason}"}}"#))
                );
            }
        }
    }
}

/// The brief's own factory, `UnencryptedCookieSessionFactoryConfig('supersecretkey')`: a
/// 14-byte secret is taken as it is (a warning on standard error at most), and what `encode`
/// writes `decode` reads back with its timestamps.
#[test]
fn pyramid_legacy_encode_then_decode_with_the_briefs_short_secret() {
    let key = ["--format", "pyramid-legacy", "--secret", "supersecretkey"];
    let encoded = run(&[
        &["encode"][..],
        &key,
        &[
            "--state",
            r#"{"username":"john","roles":["a","b"],"n":-7,"f":0.5}"#,
            "--created",
            "1700000000.25",
            "--now",
            "1700000100.75",
        ],
    ]
    .concat());
    assert!(
        !encoded.stderr.to_lowercase().contains("error"),
        "{}",
        encoded.stderr
    );
    let cookie = encoded.value().to_owned();
    assert!(
        cookie[..40]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let decode_at =
        |now: &str| run(&[&["decode"][..], &key, &["--now", now, "--", &cookie]].concat());
    let decoded = decode_at("1700001300");
    assert_eq!(decoded.code, 0, "{}", decoded.stderr);
    assert_eq!(
        decoded.json(),
        state(
            r#"{"valid":true,"state":{"username":"john","roles":["a","b"],"n":-7,"f":0.5},
                "created":1700000000.25,"accessed":1700000100.0,"key_index":0}"#
        )
    );
    // Pyramid's timeout rule from the whole-second `accessed`: valid at 1200 s, expired after.
    assert_eq!(decode_at("1700001300.5").json()["reason"], "expired");

    // The same cookie tampered, and under another secret.
    let mut tampered = cookie.clone();
    tampered.replace_range(50..51, if &cookie[50..51] == "A" { "B" } else { "A" });
    let out = run(&[
        &["decode"][..],
        &key,
        &["--now", "1700000100", "--", &tampered],
    ]
    .concat());
    assert_eq!(
        (out.code, out.json()["reason"].clone()),
        (1, json!("bad_signature"))
    );
    let other = [
        "decode",
        "--format",
        "pyramid-legacy",
        "--secret",
        "another secret",
        "--now",
        "1700000100",
        "--",
        &cookie,
    ];
    assert_eq!(run(&other).json()["reason"], "bad_signature");
}

#[test]
fn pyramid_legacy_takes_no_salt_and_no_hash() {
    for extra in [["--salt", "pyramid.session."], ["--hash", "sha1"]] {
        let args = [
            &[
                "decode",
                "--format",
                "pyramid-legacy",
                "--secret",
                "supersecretkey",
            ][..],
            &extra,
            &["cookie"],
        ]
        .concat();
        let out = assert_usage_error(&args);
        assert!(out.stderr.contains(extra[0]), "{}", out.stderr);
    }
}

/// `--format django`: Django's `signed_cookies` session cookies, checked against the cookies real
/// Django 5.2 wrote (`tests/data/django-signed-cookies.json`).
mod django {
    use super::*;

    const SECRET: &str = "visible-sample-django-secret-key-0001";
    const OLD_SECRET: &str = "visible-sample-django-secret-key-0000";
    /// `{"_auth_user_id":"1001","theme":"dark"}`, signed by Django at 1772323200.
    const COOKIE: &str = "eyJfYXV0aF91c2VyX2lkIjoiMTAwMSIsInRoZW1lIjoiZGFyayJ9:1vwUE4:\
                          J3IUW6zlWyJ6eQtC2frdHogdUJDmpdqWsAQCdQCKK1Q";
    /// `{"_auth_user_id":"1002"}`, signed by Django with `OLD_SECRET` at 1772323200.
    const OLD_COOKIE: &str =
        "eyJfYXV0aF91c2VyX2lkIjoiMTAwMiJ9:1vwUE4:Sk1PvNh6jdYFel1b-wELfBXUnWxrQssXmYcdOtQnNIo";
    const SIGNED_AT: u64 = 1_772_323_200;

    fn decode(extra: &[&str], cookie: &str, now: &str) -> Run {
        let mut args = vec!["decode", "--format", "django", "--secret", SECRET];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--now", now, "--", cookie]);
        run(&args)
    }

    #[test]
    fn decodes_djangos_cookie_with_the_signing_time_as_both_stamps() {
        let out = decode(&[], COOKIE, "1772323230");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stdout.trim_end(),
            r#"{"valid":true,"state":{"_auth_user_id":"1001","theme":"dark"},"created":1772323200.0,"accessed":1772323200.0,"key_index":0}"#
        );
        // SECRET_KEY_FALLBACKS: the old key verifies at index 1.
        let out = decode(&["--secret", OLD_SECRET], OLD_COOKIE, "1772323230");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.json()["key_index"], json!(1));
        assert_eq!(out.json()["state"], json!({"_auth_user_id": "1002"}));
    }

    #[test]
    fn invalid_and_expired_cookies_exit_1_with_a_reason() {
        let reason = |out: &Run| {
            assert_eq!(out.code, 1, "{}", out.stdout);
            assert_eq!(out.json().len(), 2);
            assert_eq!(out.json()["valid"], json!(false));
            out.json()["reason"].as_str().unwrap().to_owned()
        };
        let tampered = COOKIE.replacen("eyJf", "eyJg", 1);
        assert_eq!(
            reason(&decode(&[], &tampered, "1772323230")),
            "bad_signature"
        );
        let bad_stamp = COOKIE.replacen(":1vwUE4:", ":-1vwUE4:", 1);
        assert_eq!(reason(&decode(&[], &bad_stamp, "1772323230")), "malformed");
        assert_eq!(
            reason(&decode(&[], OLD_COOKIE, "1772323230")),
            "bad_signature"
        );
        let salted = decode(&["--salt", "django.core.signing"], COOKIE, "1772323230");
        assert_eq!(reason(&salted), "bad_signature");
        // SESSION_COOKIE_AGE by default: `age > 1209600` on the exact time.
        let edge = (SIGNED_AT + 1_209_600).to_string();
        assert_eq!(decode(&[], COOKIE, &edge).code, 0);
        assert_eq!(
            reason(&decode(&[], COOKIE, &format!("{edge}.5"))),
            "expired"
        );
        let short = decode(&["--timeout", "30"], COOKIE, "1772323231");
        assert_eq!(reason(&short), "expired");
        // A stamp in the future is accepted, as Django accepts it.
        assert_eq!(decode(&[], COOKIE, "1000000000").code, 0);
    }

    #[test]
    fn encodes_byte_for_byte_what_django_writes_and_reads_it_back() {
        let state = r#"{"_auth_user_id":"1001","theme":"dark"}"#;
        let encode = |extra: &[&str]| {
            let mut args = vec!["encode", "--format", "django", "--secret", SECRET];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--state", state, "--now", "1772323200.75"]);
            run(&args).value().to_owned()
        };
        assert_eq!(encode(&[]), COOKIE);
        // The session backend's salt is the default; a verify-only secret does not sign.
        let salt = "django.contrib.sessions.backends.signed_cookies";
        assert_eq!(encode(&["--salt", salt]), COOKIE);
        assert_eq!(encode(&["--secret", OLD_SECRET]), COOKIE);
        // --created has nothing to go into: the cookie holds the signing time only.
        assert_eq!(encode(&["--created", "1000"]), COOKIE);
        let sha1 = encode(&["--hash", "sha1"]);
        assert_ne!(sha1, COOKIE);
        let out = decode(&["--hash", "sha1"], &sha1, "1772323230");
        assert_eq!(
            out.json()["state"],
            serde_json::from_str::<Value>(state).unwrap()
        );
        assert_eq!(decode(&[], &sha1, "1772323230").code, 1);

        // A session Django would compress is written compressed, and reads back.
        let history: Vec<String> = (0..40).map(|i| format!("/products/{i}/reviews")).collect();
        let large = json!({"history": history}).to_string();
        let args = [
            "encode", "--format", "django", "--secret", SECRET, "--state", &large,
        ];
        let cookie = run(&args).value().to_owned();
        assert!(cookie.starts_with('.'), "{cookie}");
        let out = run(&[
            "decode", "--format", "django", "--secret", SECRET, "--", &cookie,
        ]);
        assert_eq!(
            out.json()["state"],
            serde_json::from_str::<Value>(&large).unwrap()
        );
    }

    #[test]
    fn a_short_secret_is_taken_with_at_most_a_warning() {
        let args = [
            "encode",
            "--format",
            "django",
            "--secret",
            "supersecretkey",
            "--state",
            "{}",
        ];
        let out = run(&args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stderr.lines().count() <= 1, "{}", out.stderr);
        let cookie = out.stdout.trim_end();
        let args = [
            "decode",
            "--format",
            "django",
            "--secret",
            "supersecretkey",
            "--",
            cookie,
        ];
        assert_eq!(run(&args).json()["valid"], json!(true));
    }

    #[test]
    fn options_django_does_not_take_are_usage_errors() {
        for extra in [
            &["--hash", "sha512"][..],
            &["--hash", "md5"],
            &["--encrypt"],
        ] {
            let mut args = vec!["decode", "--format", "django", "--secret", SECRET];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["--", COOKIE]);
            assert_usage_error(&args);
        }
    }
}

// ----- --format flask ---------------------------------------------------------------------------

/// The Flask vectors' `SECRET_KEY` and their first cookie (`flask-visible-basic`).
const FLASK_SECRET: &str = "visible-sample-flask-secret-key-0001";
const FLASK_COOKIE: &str =
    "eyJpc19hZG1pbiI6ZmFsc2UsInVpZCI6InUtMTAwMSJ9.aX6XgA.WzoFFJ2f3bwyCeY1F4HIsGZgMUk";
const FLASK_SIGNED_AT: u64 = 1_769_904_000;

fn flask_decode(cookie: &str, now: u64, extra: &[&str]) -> Run {
    let now = now.to_string();
    let args = [
        &["decode", "--format", "flask", "--now", &now][..],
        extra,
        &["--", cookie],
    ]
    .concat();
    run(&args)
}

#[test]
fn flask_decode_reports_flasks_verdicts() {
    let secret = ["--secret", FLASK_SECRET];
    // Valid for 31 days (Flask's PERMANENT_SESSION_LIFETIME), measured from the signing time,
    // which is both `created` and `accessed`.
    let out = flask_decode(FLASK_COOKIE, FLASK_SIGNED_AT + 2_678_400, &secret);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        Value::Object(out.json()),
        json!({"valid": true, "state": {"is_admin": false, "uid": "u-1001"},
               "created": 1_769_904_000.0, "accessed": 1_769_904_000.0, "key_index": 0})
    );
    let invalid: &[(u64, &[&str], &str)] = &[
        (FLASK_SIGNED_AT + 2_678_401, &secret, "expired"),
        (FLASK_SIGNED_AT - 1, &secret, "not_yet_valid"),
        (
            FLASK_SIGNED_AT,
            &["--secret", "another SECRET_KEY"],
            "bad_signature",
        ),
        (
            FLASK_SIGNED_AT,
            &[&secret[..], &["--salt", ""]].concat(),
            "bad_signature",
        ),
        (
            FLASK_SIGNED_AT,
            &[&secret[..], &["--hash", "sha256"]].concat(),
            "bad_signature",
        ),
    ];
    for (now, extra, reason) in invalid {
        let out = flask_decode(FLASK_COOKIE, *now, extra);
        assert_eq!(out.code, 1, "{reason}: {}", out.stderr);
        assert_eq!(
            Value::Object(out.json()),
            json!({"valid": false, "reason": reason})
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    let tampered = FLASK_COOKIE.replacen("eyJp", "eyJq", 1);
    let out = flask_decode(&tampered, FLASK_SIGNED_AT, &secret);
    assert_eq!(out.json()["reason"], "bad_signature");
    let out = flask_decode("not a flask cookie", FLASK_SIGNED_AT, &secret);
    assert_eq!(
        (out.code, out.json()["reason"].clone()),
        (1, json!("malformed"))
    );
}

#[test]
fn flask_encode_writes_flasks_bytes_and_decodes_back() {
    let now = FLASK_SIGNED_AT.to_string();
    let encode = |state: &str, secrets: &[&str]| {
        let args = [
            &[
                "encode", "--format", "flask", "--now", &now, "--state", state,
            ][..],
            secrets,
        ]
        .concat();
        run(&args).value().to_owned()
    };
    // Keys in any order: Flask sorts them.
    let cookie = encode(
        r#"{"uid":"u-1001","is_admin":false}"#,
        &["--secret", FLASK_SECRET],
    );
    assert_eq!(cookie, FLASK_COOKIE);
    // Tagged values are kept; the first secret signs, the others verify.
    let tagged = r#"{"_flashes":[{" t":["info","Welcome back"]}],"when":{" d":"Sun, 01 Feb 2026 00:00:00 GMT"}}"#;
    let ring = ["--secret", "the new SECRET_KEY", "--secret", FLASK_SECRET];
    let cookie = encode(tagged, &ring);
    let out = flask_decode(
        &cookie,
        FLASK_SIGNED_AT,
        &["--secret", "the new SECRET_KEY"],
    );
    assert_eq!(
        Value::Object(out.json()["state"].as_object().unwrap().clone()),
        serde_json::from_str::<Value>(tagged).unwrap()
    );
    let old_cookie = encode(tagged, &["--secret", FLASK_SECRET]);
    let out = flask_decode(&old_cookie, FLASK_SIGNED_AT, &ring);
    assert_eq!(out.json()["key_index"], json!(1));
    // A large, repetitive session is compressed, as Flask would.
    let history: Vec<String> = (0..60).map(|i| format!("/products/{i}/reviews")).collect();
    let large = json!({"history": history}).to_string();
    let cookie = encode(&large, &["--secret", FLASK_SECRET]);
    assert!(cookie.starts_with('.'), "{cookie}");
    let out = flask_decode(&cookie, FLASK_SIGNED_AT, &["--secret", FLASK_SECRET]);
    assert_eq!(
        Value::Object(out.json()["state"].as_object().unwrap().clone()),
        serde_json::from_str::<Value>(&large).unwrap()
    );
}

#[test]
fn flask_takes_an_apps_short_secret_as_it_is() {
    // `dev`, 3 bytes: a library factory refuses it without `.allow_short_secret()`; the CLI is a
    // tool for existing apps and takes it, with at most a warning on standard error.
    let now = FLASK_SIGNED_AT.to_string();
    let args = [
        "encode",
        "--format",
        "flask",
        "--secret",
        "dev",
        "--now",
        &now,
        "--state",
        "{\"a\":1}",
    ];
    let out = run(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.lines().count() <= 1, "{}", out.stderr);
    let cookie = out.value().to_owned();
    let out = flask_decode(&cookie, FLASK_SIGNED_AT, &["--secret", "dev"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["state"], json!({"a": 1}));
    assert!(out.stderr.lines().count() <= 1, "{}", out.stderr);
}
