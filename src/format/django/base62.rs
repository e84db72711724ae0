//! Django's base62 timestamps (`django.core.signing.b62_encode`): digits `0-9A-Za-z`, most
//! significant first.
//!
//! Decoding is strict: Django writes `int(time.time())`, a non-negative integer without leading
//! zeros, so a sign, a leading zero, an empty string, a character outside the alphabet or a value
//! beyond `u64` is refused (Django's lenient decoder would accept some of these, but only a
//! holder of the key could sign them). The work is bounded by [`MAX_DIGITS`] and every step is
//! checked, so no input panics or overflows.

use crate::error::DecodeError;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `u64::MAX` has 11 base62 digits (`LygHa16AHYF`).
const MAX_DIGITS: usize = 11;

/// Appends the base62 digits of `value` to `out` (`"0"` for zero).
pub(super) fn encode_into(value: u64, out: &mut String) {
    let mut digits = [0u8; MAX_DIGITS];
    let mut start = MAX_DIGITS;
    let mut rest = value;
    loop {
        start -= 1;
        digits[start] = ALPHABET[(rest % 62) as usize];
        rest /= 62;
        if rest == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

/// The value of canonical base62 digits, or [`DecodeError::BadTimestamp`].
pub(super) fn decode(text: &str) -> Result<u64, DecodeError> {
    let bytes = text.as_bytes();
    let canonical = match bytes {
        [] => false,
        [b'0'] => true,
        [first, ..] => *first != b'0' && bytes.len() <= MAX_DIGITS,
    };
    if !canonical {
        return Err(DecodeError::BadTimestamp);
    }
    bytes.iter().try_fold(0u64, |value, &c| {
        let digit = digit_value(c).ok_or(DecodeError::BadTimestamp)?;
        value
            .checked_mul(62)
            .and_then(|value| value.checked_add(digit))
            .ok_or(DecodeError::BadTimestamp)
    })
}

fn digit_value(c: u8) -> Option<u64> {
    let value = match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'Z' => c - b'A' + 10,
        b'a'..=b'z' => c - b'a' + 36,
        _ => return None,
    };
    Some(u64::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: u64) -> String {
        let mut out = String::new();
        encode_into(value, &mut out);
        out
    }

    #[test]
    fn matches_django() {
        // b62_encode(n) from Django 5.2.
        for (value, text) in [
            (0, "0"),
            (61, "z"),
            (62, "10"),
            (1_772_323_200, "1vwUE4"),
            (u64::MAX, "LygHa16AHYF"),
        ] {
            assert_eq!(encode(value), text);
            assert_eq!(decode(text), Ok(value));
        }
    }

    #[test]
    fn refuses_what_django_never_writes() {
        for bad in [
            "",
            "00",
            "01vwUE4",
            "-1",
            "+1",
            "1vw UE4",
            "1vw_E4",
            "é",
            "LygHa16AHYG",
            "zzzzzzzzzzz",
            "100000000000",
        ] {
            assert_eq!(decode(bad), Err(DecodeError::BadTimestamp), "{bad:?}");
        }
    }

    #[test]
    fn round_trips_across_the_range() {
        let mut value = 1u64;
        while let Some(next) = value.checked_mul(7) {
            for v in [value - 1, value, value + 1] {
                assert_eq!(decode(&encode(v)), Ok(v));
            }
            value = next;
        }
    }
}
