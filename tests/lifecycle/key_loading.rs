//! Loading a key ring from files and environment variables: what is accepted, and errors that
//! name the place and the problem but never the secret.

use std::path::PathBuf;
use std::process::Command;

use cookie_session::{ConfigError, CookieSessionFactory, KeyRing, PyramidHash, Secret, UnixTime};

/// A file in a fresh per-test directory under the system temp dir, removed on drop.
struct TempFile {
    dir: PathBuf,
    path: PathBuf,
}

impl TempFile {
    fn new(test: &str, contents: &[u8]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "cookie-session-key-loading-{}-{test}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.txt");
        std::fs::write(&path, contents).unwrap();
        Self { dir, path }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const HEX_SECRET: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const TEXT_SECRET: &str = "correct-horse-battery-staple-and-more-words";
/// 32 bytes of base64.
const BASE64_SECRET: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM";
/// A passphrase with commas: one secret.
const COMMA_PASSPHRASE: &str = "correct horse, battery staple, and more words";

fn now() -> UnixTime {
    UnixTime::from_secs(1_700_000_000)
}

/// The `KeySource` parts of an error, failing the test for any other error.
fn key_source(error: ConfigError) -> (String, String) {
    match error {
        ConfigError::KeySource {
            source_name,
            problem,
        } => (source_name, problem),
        other => panic!("expected a KeySource error, got {other:?}"),
    }
}

/// Asserts that neither the message nor the debug form of `error` contains `secret`.
fn assert_secret_absent(error: &ConfigError, secret: &str) {
    assert!(!error.to_string().contains(secret), "{error}");
    assert!(!format!("{error:?}").contains(secret), "{error:?}");
}

#[test]
fn a_good_file_gives_the_ring_in_order() {
    let base64_secret = Secret::generate();
    let contents = format!(
        "\
# session keys, newest first
hex:{HEX_SECRET}

  # the previous primary, verify-only since the last rotation
  {TEXT_SECRET}\x20\x20
base64:{}
",
        &*base64_secret.to_base64url()
    );
    let file = TempFile::new("good", contents.as_bytes());
    let ring = KeyRing::from_file(&file.path).unwrap();
    assert_eq!(ring.len(), 3);
    assert_eq!(ring.primary(), &Secret::from_hex(HEX_SECRET).unwrap());
    assert_eq!(ring.secrets()[1], Secret::from_text(TEXT_SECRET));
    assert_eq!(ring.secrets()[2], base64_secret);

    // The loaded ring reads what each of its secrets wrote, and says which one.
    let loaded = CookieSessionFactory::new(ring).unwrap();
    for (index, secret) in [
        Secret::from_hex(HEX_SECRET).unwrap(),
        Secret::from_text(TEXT_SECRET),
        base64_secret,
    ]
    .into_iter()
    .enumerate()
    {
        let single = CookieSessionFactory::new(secret).unwrap();
        let mut session = single.load(None, now());
        session.insert("i", index).unwrap();
        let cookie = single.finish(&session, now()).unwrap().unwrap();
        assert_eq!(
            loaded.verify(cookie.value(), now()).unwrap().key_index,
            index
        );
    }
}

#[test]
fn keygen_output_pasted_as_is_is_a_text_secret() {
    let generated = Secret::generate().to_base64url();
    let ring = KeyRing::parse(&generated, "keys.txt").unwrap();
    assert_eq!(ring.primary(), &Secret::from_text(generated.as_str()));
    // `text:` keeps a secret that looks like a prefix.
    let ring = KeyRing::parse(&format!("text:hex:{TEXT_SECRET}"), "keys.txt").unwrap();
    assert_eq!(
        ring.primary(),
        &Secret::from_text(format!("hex:{TEXT_SECRET}"))
    );
}

#[test]
fn each_kind_of_bad_line_is_named_without_the_secret() {
    let short = "short-but-secret-words";
    let bad_hex = "00112233445566778899aabbccddeeffXY112233445566778899aabbccddeeff";
    let bad_base64 = "this is*not base64 at all, but secret!";
    let cases: [(String, &str, &str, &str); 5] = [
        (
            format!("{TEXT_SECRET}\n\n{short}\n"),
            "line 3",
            "too short: 22 bytes, at least 32 are needed",
            short,
        ),
        (
            format!("# header\nhex:{bad_hex}\n"),
            "line 2",
            "bad encoding: not hexadecimal (odd length, or a non-hex character at position 32 \
             after `hex:`)",
            bad_hex,
        ),
        (
            format!("base64:{bad_base64}\n"),
            "line 1",
            "bad encoding: not valid base64",
            bad_base64,
        ),
        (
            format!("hex:{HEX_SECRET}\n{TEXT_SECRET}\n# again\n{TEXT_SECRET}\n"),
            "line 4",
            "duplicate key: the same secret as line 2",
            TEXT_SECRET,
        ),
        (
            format!("{TEXT_SECRET}\nhex:\n"),
            "line 2",
            "empty secret",
            TEXT_SECRET,
        ),
    ];
    for (contents, line, problem, secret) in cases {
        let file = TempFile::new(
            &format!("bad-{}", line.replace(' ', "")),
            contents.as_bytes(),
        );
        // A short secret loads; the (native) factory refuses it, naming the same line.
        let error = KeyRing::from_file(&file.path)
            .and_then(|ring| CookieSessionFactory::new(ring).map(drop))
            .unwrap_err();
        assert_secret_absent(&error, secret);
        assert_eq!(
            key_source(error.clone()),
            (format!("{} {line}", file.name()), problem.to_owned()),
            "{contents:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("{} {line}: {problem}", file.name())
        );
    }
}

#[test]
fn an_odd_length_hex_secret_is_a_bad_encoding() {
    let error = KeyRing::parse(&format!("hex:{HEX_SECRET}0"), "keys.txt").unwrap_err();
    let (source, problem) = key_source(error);
    assert_eq!(source, "keys.txt line 1");
    assert!(
        problem.starts_with("bad encoding: not hexadecimal"),
        "{problem}"
    );
}

#[test]
fn the_format_decides_the_minimum_length() {
    // An existing Pyramid deployment's short secret is refused by the Pyramid format, naming
    // where it came from...
    let ring = KeyRing::parse("seekrit\n", "pyramid.ini").unwrap();
    assert_eq!(ring.primary(), &Secret::from_text("seekrit"));
    let pyramid = || CookieSessionFactory::builder(ring.clone()).pyramid(PyramidHash::Sha512);
    assert_eq!(
        key_source(pyramid().build().unwrap_err()),
        (
            "pyramid.ini line 1".to_owned(),
            "too short: 7 bytes, at least 16 are needed".to_owned()
        )
    );
    // ...unless the builder opts in: then it loads and works...
    assert!(pyramid().allow_short_secret().build().is_ok());
    let sixteen = KeyRing::parse("sixteen bytes!!!\n", "pyramid.ini").unwrap();
    assert!(
        CookieSessionFactory::builder(sixteen)
            .pyramid(PyramidHash::Sha512)
            .build()
            .is_ok()
    );
    // ...and the native format refuses it whatever the builder says.
    let error = CookieSessionFactory::builder(ring.clone())
        .allow_short_secret()
        .build()
        .unwrap_err();
    assert_eq!(
        key_source(error),
        (
            "pyramid.ini line 1".to_owned(),
            "too short: 7 bytes, at least 32 are needed".to_owned()
        )
    );
    // An empty secret is refused by the loader, whatever the format.
    let (_, problem) = key_source(KeyRing::parse("hex:", "x").unwrap_err());
    assert_eq!(problem, "empty secret");
}

#[test]
fn empty_and_comment_only_files_are_errors() {
    for (name, contents) in [
        ("empty", ""),
        ("comments", "# keys go here\n\n   \n# none yet\n"),
    ] {
        let file = TempFile::new(name, contents.as_bytes());
        let (source, problem) = key_source(KeyRing::from_file(&file.path).unwrap_err());
        assert_eq!(source, file.name());
        assert_eq!(problem, "no secret found");
    }
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let path = std::env::temp_dir().join("cookie-session-surely-missing/keys.txt");
    let (source, problem) = key_source(KeyRing::from_file(&path).unwrap_err());
    assert_eq!(source, path.display().to_string());
    assert!(problem.starts_with("cannot read the file: "), "{problem}");
}

#[test]
fn a_binary_file_names_the_first_bad_line() {
    let file = TempFile::new("binary", b"# keys\n\xc3\x28garbage secret bytes\n");
    let (source, problem) = key_source(KeyRing::from_file(&file.path).unwrap_err());
    assert_eq!(source, format!("{} line 2", file.name()));
    assert!(problem.starts_with("not valid UTF-8"), "{problem}");
}

/// The name the test harness gives `test` in this module (the binary's crate name is not part of
/// it).
fn this_test(test: &str) -> String {
    let module = module_path!()
        .split_once("::")
        .map_or("", |(_, module)| module);
    format!("{module}::{test}")
}

/// Environment variables are read in a child process: changing the environment of this
/// multi-threaded test process would race with the other tests reading it.
const CHILD_MARKER: &str = "COOKIE_SESSION_KEY_LOADING_CHILD";

#[test]
fn rings_from_environment_variables() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                &this_test("rings_from_environment_variables"),
                "--test-threads=1",
            ])
            .env(CHILD_MARKER, "1")
            .env(
                "CS_TEST_GOOD",
                format!(" hex:{HEX_SECRET},\n{TEXT_SECRET}  \n\n"),
            )
            .env(
                "CS_TEST_PREFIXED",
                format!("hex:{HEX_SECRET}, ,base64:{BASE64_SECRET},"),
            )
            .env("CS_TEST_COMMA", format!(" {COMMA_PASSPHRASE} "))
            .env("CS_TEST_TEXT_COMMA", format!("text:{COMMA_PASSPHRASE}"))
            .env(
                "CS_TEST_MIXED",
                format!("hex:{HEX_SECRET},{COMMA_PASSPHRASE}"),
            )
            .env("CS_TEST_SHORT", format!("{TEXT_SECRET}\n tiny secret "))
            .env(
                "CS_TEST_SPACES",
                "  a passphrase with inner spaces that is long enough  ",
            )
            .env("CS_TEST_DUPLICATE", format!("{TEXT_SECRET}\n{TEXT_SECRET}"))
            .env("CS_TEST_EMPTY", " , ")
            .env_remove("CS_TEST_UNSET")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran no test: {stdout}"
        );
        return;
    }

    let ring = KeyRing::from_env("CS_TEST_SPACES").unwrap();
    assert_eq!(ring.len(), 1, "spaces do not split a secret");
    assert_eq!(
        ring.primary(),
        &Secret::from_text("a passphrase with inner spaces that is long enough")
    );
    let ring = KeyRing::from_env("CS_TEST_GOOD").unwrap();
    assert_eq!(ring.len(), 2);
    assert_eq!(ring.primary(), &Secret::from_hex(HEX_SECRET).unwrap());
    assert_eq!(ring.secrets()[1], Secret::from_text(TEXT_SECRET));

    // Commas split only hex: and base64: secrets...
    let ring = KeyRing::from_env("CS_TEST_PREFIXED").unwrap();
    assert_eq!(
        ring.secrets(),
        [
            Secret::from_hex(HEX_SECRET).unwrap(),
            Secret::from_base64(BASE64_SECRET).unwrap()
        ]
    );
    // ...never a passphrase, with or without `text:` (this one used to become a 13-byte
    // primary and two verify-only keys).
    for var in ["CS_TEST_COMMA", "CS_TEST_TEXT_COMMA"] {
        let ring = KeyRing::from_env(var).unwrap();
        assert_eq!(
            ring.secrets(),
            [Secret::from_text(COMMA_PASSPHRASE)],
            "{var}"
        );
    }
    // A line mixing a prefixed secret and text is one secret: here not valid hex, an error.
    let (source, problem) = key_source(KeyRing::from_env("CS_TEST_MIXED").unwrap_err());
    assert_eq!(source, "$CS_TEST_MIXED entry 1");
    assert!(problem.starts_with("bad encoding"), "{problem}");

    let error = CookieSessionFactory::new(KeyRing::from_env("CS_TEST_SHORT").unwrap()).unwrap_err();
    assert_secret_absent(&error, "tiny-secret");
    assert_eq!(
        key_source(error),
        (
            "$CS_TEST_SHORT entry 2".to_owned(),
            "too short: 11 bytes, at least 32 are needed".to_owned()
        )
    );

    let error = KeyRing::from_env("CS_TEST_DUPLICATE").unwrap_err();
    assert_secret_absent(&error, TEXT_SECRET);
    assert_eq!(
        key_source(error),
        (
            "$CS_TEST_DUPLICATE entry 2".to_owned(),
            "duplicate key: the same secret as entry 1".to_owned()
        )
    );

    let (source, problem) = key_source(KeyRing::from_env("CS_TEST_EMPTY").unwrap_err());
    assert_eq!(source, "$CS_TEST_EMPTY");
    assert!(problem.starts_with("no secret found"), "{problem}");

    assert_eq!(
        KeyRing::from_env("CS_TEST_UNSET").unwrap_err(),
        ConfigError::MissingEnvVar {
            name: "CS_TEST_UNSET".to_owned()
        }
    );
}
