//! `--format`: which wire format, and the one place that turns it and its options into a
//! factory. A new format is a variant of [`FormatArg`] and an arm in [`factory_for`].

use std::time::Duration;

use clap::ValueEnum;
use cookie_session::{
    CookieSessionFactory, DjangoHash, Format, KeyRing, PyramidHash, Salt, Secret,
};

use crate::failure::Failure;

/// The formats `--format` names (the contract's list).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// This crate's own format (signed; --encrypt for the encrypted suite).
    Native,
    /// Pyramid 2.x SignedCookieSessionFactory.
    Pyramid,
    /// Flask 3.x SecureCookieSessionInterface (itsdangerous URLSafeTimedSerializer).
    Flask,
    /// Django 4.1+/5.x signed_cookies session backend (django.core.signing, compress=True).
    Django,
    /// Pyramid 1.x UnencryptedCookieSessionFactoryConfig (HMAC-SHA1 hex, base64 pickle; no salt).
    PyramidLegacy,
}

impl FormatArg {
    /// Its name on the command line (one of ours, never what the user typed).
    fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// `--hash`: the HMAC hash of Pyramid and Flask cookies.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HashArg {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl From<HashArg> for PyramidHash {
    fn from(hash: HashArg) -> Self {
        match hash {
            HashArg::Md5 => Self::Md5,
            HashArg::Sha1 => Self::Sha1,
            HashArg::Sha224 => Self::Sha224,
            HashArg::Sha256 => Self::Sha256,
            HashArg::Sha384 => Self::Sha384,
            HashArg::Sha512 => Self::Sha512,
        }
    }
}

/// Everything but the format that a factory is built from; `None` is the format's default.
pub struct FactoryOptions {
    /// In command-line order: the first signs, the others are verify-only.
    pub secrets: Vec<Secret>,
    pub salt: Option<Salt>,
    pub hash: Option<HashArg>,
    pub encrypt: bool,
    pub cookie_name: Option<String>,
    /// `Some(None)` is `--timeout none`.
    pub timeout: Option<Option<Duration>>,
}

/// The factory that `decode` and `encode` use, refusing options the format does not take.
pub fn factory_for(
    format: FormatArg,
    options: FactoryOptions,
) -> Result<CookieSessionFactory, Failure> {
    if options.secrets.is_empty() {
        return Err(Failure::Usage(
            "a secret is required: --secret-hex HEX, --secret TEXT or --secret-env VAR".into(),
        ));
    }
    let refuse = |option: &str| {
        Failure::Usage(format!(
            "{option} does not apply to --format {}",
            format.name()
        ))
    };
    let ring = KeyRing::from_secrets(options.secrets).map_err(Failure::from_config)?;
    // Re-issuing is a per-request concern; without this a small --timeout would be refused as
    // shorter than the default reissue time.
    // A tool for existing apps: it takes their secret however short (the native formats keep
    // their 32-byte floor regardless).
    let builder = CookieSessionFactory::builder(ring)
        .reissue_time(None::<Duration>)
        .allow_short_secret()
        // Decoding only: either native mode reads both suites (nothing is re-issued).
        .accept_encrypted_cookies(true);
    let builder = match format {
        FormatArg::Native => {
            if options.hash.is_some() {
                return Err(refuse("--hash"));
            }
            let suite = if options.encrypt {
                encrypted_suite().ok_or_else(|| {
                    Failure::Usage(
                        "--encrypt: this build has no encrypted format (build with --features \
                         cli,encryption)"
                            .into(),
                    )
                })?
            } else {
                Format::Signed
            };
            builder.format(suite)
        }
        FormatArg::Pyramid => {
            if options.encrypt {
                return Err(refuse("--encrypt"));
            }
            builder.pyramid(options.hash.map_or_else(PyramidHash::default, Into::into))
        }
        FormatArg::Flask => {
            if options.encrypt {
                return Err(refuse("--encrypt"));
            }
            // Flask's defaults (salt, 31-day timeout, cookie name), then its hash; the preset's
            // reissue time is a per-request concern, as above.
            let hash = options.hash.map_or(PyramidHash::Sha1, Into::into);
            builder
                .flask()
                .format(Format::Flask(hash))
                .reissue_time(None::<Duration>)
        }
        FormatArg::PyramidLegacy => {
            for (given, option) in [
                (options.hash.is_some(), "--hash"),
                (options.encrypt, "--encrypt"),
                (options.salt.is_some(), "--salt"),
            ] {
                if given {
                    return Err(refuse(option));
                }
            }
            // The preset sets Pyramid 1.x's reissue_time of 0; not a concern of one command.
            builder.pyramid_legacy().reissue_time(None::<Duration>)
        }
        FormatArg::Django => {
            if options.encrypt {
                return Err(refuse("--encrypt"));
            }
            // Django's defaults: salt, cookie name, timeout (SESSION_COOKIE_AGE).
            builder.django(match options.hash {
                None | Some(HashArg::Sha256) => DjangoHash::Sha256,
                Some(HashArg::Sha1) => DjangoHash::Sha1,
                Some(_) => {
                    return Err(Failure::Usage(
                        "--format django takes --hash sha256 (the default) or sha1".into(),
                    ));
                }
            })
        }
    };
    let builder = match options.salt {
        Some(salt) => builder.salt(salt),
        None => builder,
    };
    let builder = match options.cookie_name {
        Some(name) => builder.cookie_name(name),
        None => builder,
    };
    let builder = match options.timeout {
        Some(timeout) => builder.timeout(timeout),
        None => builder,
    };
    builder.build().map_err(Failure::from_config)
}

/// The native encrypted suite, when this build has it.
#[cfg(feature = "encryption")]
fn encrypted_suite() -> Option<Format> {
    Some(Format::Encrypted)
}

#[cfg(not(feature = "encryption"))]
fn encrypted_suite() -> Option<Format> {
    None
}
