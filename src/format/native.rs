//! The native envelope.
//!
//! ```text
//! cookie value = base64url_nopad(envelope)
//! envelope     = header | nonce | body | tag        (nonce and tag: the suite's)
//! header       = suite(1) | key_id(4) | flags(1) | created u64 BE(8) | accessed u64 BE(8)
//! ```
//!
//! | suite            | envelope                                                          | overhead |
//! |------------------|-------------------------------------------------------------------|----------|
//! | `0x01` signed    | header(22) ‖ JSON state ‖ HMAC-SHA256 tag(32)                     | 54 bytes |
//! | `0x02` encrypted | header(22) ‖ nonce(24) ‖ XChaCha20-Poly1305(JSON state) ‖ tag(16) | 62 bytes |
//! | `0x03` encrypted | header(22) ‖ nonce(24) ‖ XAES-256-GCM(JSON state) ‖ tag(16)       | 62 bytes |
//!
//! Suites `0x02` and `0x03` exist only with the `encryption` feature; without it such a cookie is
//! an unknown suite. The header is never encrypted: the timestamps are readable (not forgeable)
//! in every suite.
//!
//! Each master secret yields one working key per suite with HKDF-SHA256 (salt
//! `cookie-session/v1/hkdf`), so one ring serves every suite without ever using a key for two
//! algorithms: the key id with the info `cookie-session/v1/key-id`, each suite's key with the
//! info `PAE([suite label, cookie name, purpose])` (PASETO's injective, length-prefixed
//! encoding; labels `cookie-session/v2/mac/hmac-sha256`, `cookie-session/v2/enc/xchacha20poly1305`,
//! `cookie-session/v2/enc/xaes-256-gcm`). The key id selects the key (no trial of every key);
//! being derived one-way, it reveals nothing about the key.
//!
//! So the cookie name and purpose are bound through the key: a cookie cannot be replayed under
//! another cookie name or another application's purpose (it meets an unrelated key), and no two
//! (name, purpose) splits collide. What each message authenticates is then only its fixed-length
//! header (and nonce) and its body, so the binding costs a cookie nothing. Each suite's module
//! says what it authenticates.
//!
//! The flags byte is always 0. In particular nothing is ever compressed, and the encrypted
//! suites never will be: compressing secrets together with attacker-influenced values before
//! encrypting turns the ciphertext's length into an oracle for the secrets (CRIME, BREACH).
//!
//! Decoding checks, in order: base64url, suite, length, key id, flags, tag (in constant time;
//! for the encrypted suites, decryption), and only then parses the JSON. Every suite of the
//! build is read, whichever one the codec writes, with one exception: a codec writing a readable
//! suite refuses a confidential suite's cookies unless the builder opted in, because re-issuing
//! such a cookie would hand its hidden contents to the browser in readable form.
//!
//! The parts: `envelope` (header, key ids, key derivation, PAE, the one open/seal path),
//! `signed` and `encrypted` (the `envelope::Suite`s), `xaes` (XAES-256-GCM itself).

mod envelope;
mod signed;

#[cfg(feature = "encryption")]
mod encrypted;
#[cfg(feature = "encryption")]
mod xaes;

#[cfg(feature = "encryption")]
pub(crate) use encrypted::{XChaCha, Xaes};
pub(crate) use envelope::NativeCodec;
pub(crate) use signed::Signed;

/// Shortest master secret accepted: HKDF needs real key material.
pub const MIN_SECRET_LEN: usize = 32;

/// Every suite this build reads. A new suite is a module implementing `envelope::Suite` and one line
/// here (and a [`Format`](crate::Format) variant to write it).
const SUITES: &[envelope::SuiteBuilder] = &[
    envelope::keyed::<Signed>,
    #[cfg(feature = "encryption")]
    envelope::keyed::<XChaCha>,
    #[cfg(feature = "encryption")]
    envelope::keyed::<Xaes>,
];
