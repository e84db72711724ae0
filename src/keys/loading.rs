//! Loading a [`KeyRing`] from an environment variable or a file, for fleets that rotate secrets.
//! The format is documented on [`KeyRing::from_file`], where users see it.

use std::path::Path;

use zeroize::Zeroizing;

use super::{KeyRing, Secret};
use crate::error::ConfigError;

impl KeyRing {
    /// A ring from the environment variable `var`, newest secret (the primary) first, written
    /// as [`KeyRing::parse_env`] reads it: one secret per line, or several `hex:`/`base64:`
    /// secrets separated by commas. A text secret is never split at a comma. How long a secret
    /// must be depends on the format: the factory checks it when the ring is used, and names the
    /// entry of a secret it refuses.
    ///
    /// # Errors
    /// [`ConfigError::MissingEnvVar`] when the variable is unset or not Unicode; as
    /// [`KeyRing::parse_env`] otherwise, naming the variable (`$SESSION_SECRETS entry 2`).
    ///
    /// ```no_run
    /// use cookie_session::{CookieSessionFactory, KeyRing};
    /// // SESSION_SECRETS="hex:9f86d0…0a08,base64:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM"
    /// let factory = CookieSessionFactory::new(KeyRing::from_env("SESSION_SECRETS")?)?;
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    ///
    /// ```
    /// use cookie_session::{ConfigError, KeyRing};
    /// assert!(matches!(
    ///     KeyRing::from_env("COOKIE_SESSION_DOCTEST_UNSET"),
    ///     Err(ConfigError::MissingEnvVar { .. })
    /// ));
    /// ```
    pub fn from_env(var: &str) -> Result<Self, ConfigError> {
        let value = match std::env::var(var) {
            Ok(value) => Zeroizing::new(value),
            Err(_) => {
                return Err(ConfigError::MissingEnvVar {
                    name: var.to_owned(),
                });
            }
        };
        Self::parse_env(&value, &format!("${var}"))
    }

    /// A ring from the value of an environment variable, as [`KeyRing::from_env`] reads it;
    /// `source_name` names the source in errors (`"$SESSION_SECRETS"` gives
    /// `$SESSION_SECRETS entry 2: …`).
    ///
    /// The grammar leaves no room for a mistaken split:
    ///
    /// * **Line breaks** always separate secrets. Blank lines are skipped; surrounding
    ///   whitespace is not part of a secret, inner spaces are.
    /// * **Commas** separate secrets only on a line where every comma-separated piece starts with
    ///   `hex:` or `base64:`, whose alphabets have no comma (empty pieces are skipped).
    /// * Any other line is **one** secret, commas included, written as in a key file
    ///   ([`KeyRing::from_file`]): `hex:`, `base64:`, `text:` or plain text. A plain text line
    ///   with a comma is taken whole, with a `tracing` warning (older versions split it); write
    ///   it as `text:…` to say it is meant.
    ///
    /// # Errors
    /// [`ConfigError::KeySource`] naming the source and entry for no secret at all, a bad
    /// encoding, an empty or a duplicate secret.
    ///
    /// ```
    /// use cookie_session::{ConfigError, KeyRing, Secret};
    /// let hex = "hex:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    /// let b64 = "base64:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM";
    /// // Prefixed secrets on one line, separated by commas: two secrets.
    /// assert_eq!(KeyRing::parse_env(&format!("{hex}, {b64}"), "$KEYS")?.len(), 2);
    ///
    /// // A passphrase with a comma stays one secret, with or without `text:`.
    /// let passphrase = "correct horse, battery staple, and more words";
    /// for value in [passphrase.to_owned(), format!("text:{passphrase}")] {
    ///     let ring = KeyRing::parse_env(&value, "$KEYS")?;
    ///     assert_eq!(ring.secrets(), [Secret::from_text(passphrase)]);
    /// }
    ///
    /// // Text secrets: one per line.
    /// let ring = KeyRing::parse_env(&format!("{passphrase}\n{b64}\n"), "$KEYS")?;
    /// assert_eq!(ring.len(), 2);
    ///
    /// // A mixed line is one secret, and this one is not valid hex: an error, not a guess.
    /// let error = KeyRing::parse_env(&format!("{hex},{passphrase}"), "$KEYS").unwrap_err();
    /// assert!(error.to_string().starts_with("$KEYS entry 1: bad encoding"));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn parse_env(value: &str, source_name: &str) -> Result<Self, ConfigError> {
        let entries = env_entries(value, source_name)
            .enumerate()
            .map(|(i, entry)| (format!("entry {}", i + 1), entry));
        build_ring(entries, source_name)
    }

    /// A ring from a file of secrets, one per line, newest first: the first line is the primary,
    /// which signs, the others are verify-only. Blank lines and lines starting with `#` are
    /// ignored (a `#` elsewhere belongs to the secret). How long a secret must be depends on the
    /// format ([`Format::min_secret_len`](crate::Format::min_secret_len): the native format needs
    /// [`MIN_SECRET_LEN`](crate::MIN_SECRET_LEN) bytes, the Pyramid format 16 unless the builder
    /// allows short secrets); the factory checks it when the ring is used, and on every reload,
    /// and names the line of a secret it refuses.
    ///
    /// End every line with a line break, the last one too: a reload
    /// ([`reload_keys_from_file`](crate::CookieSessionFactory::reload_keys_from_file), the
    /// watcher) refuses a file whose last line has none, since it may be cut off mid-write.
    ///
    /// Each line is read the same way as everywhere else, so the same text means the same key:
    ///
    /// | line            | the secret is                                   | same as                 |
    /// |-----------------|-------------------------------------------------|-------------------------|
    /// | `hex:00ff…`     | the bytes of the hexadecimal digits             | `--secret-hex`          |
    /// | `base64:AbC…`   | the bytes of base64 (URL-safe or standard)      | [`Secret::from_base64`] |
    /// | `text:…`        | the UTF-8 bytes of the rest, whatever they are  | `--secret`              |
    /// | anything else   | the UTF-8 bytes of the line                     | `--secret`, [`Secret::from_env`] |
    ///
    /// So the output of `cookie-session keygen`, pasted as it is, is a text secret: exactly what
    /// `--secret` or a `SESSION_SECRET` variable make of it. Surrounding whitespace is not part
    /// of a secret; write a secret that needs it (or that starts with `#`) in hex.
    ///
    /// # Errors
    /// [`ConfigError::KeySource`] naming the file, and the line when one is at fault: a missing
    /// or unreadable file, a file with no secret, invalid UTF-8, a bad encoding, an empty or a
    /// duplicate secret.
    ///
    /// ```no_run
    /// use cookie_session::{CookieSessionFactory, KeyRing};
    /// let ring = KeyRing::from_file("/run/secrets/session-keys")?;
    /// let factory = CookieSessionFactory::new(ring)?;
    /// # Ok::<(), cookie_session::ConfigError>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let bytes = read_key_file(path)?;
        parse_key_file(&bytes, &path.display().to_string())
    }

    /// A ring from the text of a key file, as [`KeyRing::from_file`] reads it; `source_name`
    /// names the source in errors (`"keys.txt"` gives `keys.txt line 3: …`).
    ///
    /// # Errors
    /// As [`KeyRing::from_file`], except for reading.
    ///
    /// ```
    /// use cookie_session::{ConfigError, KeyRing};
    /// let text = [
    ///     "# promoted 2026-03-01",
    ///     "hex:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ///     "",
    ///     "# the previous primary, verify-only until 2026-03-02",
    ///     "an old text secret, thirty-two bytes or more",
    /// ]
    /// .join("\n");
    /// let ring = KeyRing::parse(&text, "keys.txt")?;
    /// assert_eq!(ring.len(), 2);
    ///
    /// // A secret too short for the native format is refused by the factory, by its line.
    /// let short = KeyRing::parse("hex:0011\n", "keys.txt")?;
    /// let err = cookie_session::CookieSessionFactory::new(short).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "keys.txt line 1: too short: 2 bytes, at least 32 are needed"
    /// );
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        build_ring(file_entries(text), source_name)
    }
}

/// Reads a key file into memory that is wiped when dropped.
pub(crate) fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|error| ConfigError::KeySource {
            source_name: path.display().to_string(),
            problem: format!("cannot read the file: {error}"),
        })
}

/// Parses the bytes of a key file, naming the first line that is not UTF-8.
pub(crate) fn parse_key_file(bytes: &[u8], source_name: &str) -> Result<KeyRing, ConfigError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => KeyRing::parse(text, source_name),
        Err(error) => {
            let line = 1 + bytes[..error.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Err(ConfigError::KeySource {
                source_name: format!("{source_name} line {line}"),
                problem: "not valid UTF-8 text (write binary secrets with hex: or base64:)"
                    .to_owned(),
            })
        }
    }
}

/// The entries of an environment variable's value (see [`KeyRing::parse_env`]).
fn env_entries<'a>(value: &'a str, source_name: &str) -> impl Iterator<Item = &'a str> {
    let source_name = source_name.to_owned();
    value
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .flat_map(move |line| {
            let pieces = line.split(',').map(str::trim).filter(|p| !p.is_empty());
            let split = pieces
                .clone()
                .all(|piece| piece.starts_with("hex:") || piece.starts_with("base64:"));
            if split {
                return pieces.collect::<Vec<_>>();
            }
            if line.contains(',') && !line.starts_with("text:") {
                tracing::warn!(
                    source = %source_name,
                    "a secret contains a comma and is taken as one secret (commas separate only \
                     hex: and base64: secrets); write it as text:… to silence this warning"
                );
            }
            vec![line]
        })
}

/// The secrets of a file's text, each with its line ("line 3"), skipping blanks and comments.
fn file_entries(text: &str) -> impl Iterator<Item = (String, &str)> {
    text.lines().enumerate().filter_map(move |(i, line)| {
        let line = if i == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let line = line.trim();
        (!line.is_empty() && !line.starts_with('#')).then(|| (format!("line {}", i + 1), line))
    })
}

/// Decodes every entry (with its place in the source, e.g. "line 3") and builds the ring,
/// stopping at the first problem.
fn build_ring<'a>(
    entries: impl Iterator<Item = (String, &'a str)>,
    source_name: &str,
) -> Result<KeyRing, ConfigError> {
    let mut secrets: Vec<(String, Secret)> = Vec::new();
    for (place, entry) in entries {
        let place = format!("{source_name} {place}");
        let problem = |problem: String| ConfigError::KeySource {
            source_name: place.clone(),
            problem,
        };
        let secret = decode_entry(entry).map_err(problem)?;
        if secret.is_empty() {
            return Err(problem("empty secret".to_owned()));
        }
        // How long a secret must be depends on the format, which the factory checks when the
        // ring is used, naming this place.
        // `Secret`'s equality runs in constant time.
        if let Some((first, _)) = secrets.iter().find(|(_, seen)| *seen == secret) {
            let first = first
                .strip_prefix(source_name)
                .unwrap_or(first)
                .trim_start();
            return Err(problem(format!(
                "duplicate key: the same secret as {first}"
            )));
        }
        secrets.push((place, secret));
    }
    if secrets.is_empty() {
        return Err(ConfigError::KeySource {
            source_name: source_name.to_owned(),
            problem: "no secret found".to_owned(),
        });
    }
    KeyRing::with_places(secrets)
}

/// One secret as written: `hex:`, `base64:`, `text:` or plain text. The problem never quotes
/// the entry.
fn decode_entry(entry: &str) -> Result<Secret, String> {
    if let Some(hex) = entry.strip_prefix("hex:") {
        Secret::from_hex(hex).map_err(|error| match error {
            ConfigError::InvalidHex { position } => format!(
                "bad encoding: not hexadecimal (odd length, or a non-hex character at \
                 position {position} after `hex:`)"
            ),
            other => format!("bad encoding: {other}"),
        })
    } else if let Some(base64) = entry.strip_prefix("base64:") {
        Secret::from_base64(base64).map_err(|_| "bad encoding: not valid base64".to_owned())
    } else {
        Ok(Secret::from_text(
            entry.strip_prefix("text:").unwrap_or(entry),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> (String, String) {
        match KeyRing::parse(text, "keys.txt").unwrap_err() {
            ConfigError::KeySource {
                source_name,
                problem,
            } => (source_name, problem),
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn prefixes_pick_the_encoding() {
        let hex = format!("hex:{}", "41".repeat(32));
        let text = "A".repeat(32);
        let base64 = format!("base64:{}", "QUFB".repeat(11)); // "AAA" x 11 = 33 bytes
        // Same bytes written three ways are duplicates of each other.
        assert_eq!(
            problem(&format!("{hex}\n{text}")),
            (
                "keys.txt line 2".into(),
                "duplicate key: the same secret as line 1".into()
            )
        );
        let ring = KeyRing::parse(&format!("{hex}\n{base64}\ntext:hex:{text}"), "k").unwrap();
        assert_eq!(ring.secrets()[0].expose(), [b'A'; 32]);
        assert_eq!(ring.secrets()[1].expose(), [b'A'; 33]);
        assert_eq!(ring.secrets()[2].expose(), format!("hex:{text}").as_bytes());
    }

    #[test]
    fn non_utf8_names_the_line() {
        let mut bytes = b"# comment\nhex:00\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe secret\n");
        let err = parse_key_file(&bytes, "keys.txt").unwrap_err();
        assert_eq!(
            err,
            ConfigError::KeySource {
                source_name: "keys.txt line 3".into(),
                problem: "not valid UTF-8 text (write binary secrets with hex: or base64:)".into(),
            }
        );
    }

    #[test]
    fn byte_order_mark_and_crlf_are_ignored() {
        let secret = "s".repeat(40);
        let ring = KeyRing::parse(&format!("\u{feff}{secret}\r\n"), "k").unwrap();
        assert_eq!(ring.primary().expose(), secret.as_bytes());
    }
}
