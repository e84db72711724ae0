//! Flask's tagged JSON, typed: build and read the values Flask's `TaggedJSONSerializer` stores
//! for Python types that JSON lacks.
//!
//! A Flask session holds these as one-key objects (`{" t": [...]}` for a tuple, and so on), and
//! this crate keeps them exactly so, so that a session written back keeps its types for Flask.
//! These helpers spare writing the tags by hand. Each reader returns `None` for a value that is
//! not that tag, or whose content is not what Flask writes.
//!
//! ```
//! use cookie_session::flask;
//! // Flask's `flash("Welcome back", "info")` stores `_flashes: [("info", "Welcome back")]`.
//! let message = flask::tuple(["info".into(), "Welcome back".into()]);
//! assert_eq!(message, serde_json::json!({" t": ["info", "Welcome back"]}));
//! assert_eq!(flask::as_tuple(&message).map(<[_]>::len), Some(2));
//! assert_eq!(flask::as_tuple(&serde_json::json!(["a list"])), None);
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// The one value under `tag`, if `value` is exactly `{tag: ...}`.
fn tagged<'a>(value: &'a Value, tag: &str) -> Option<&'a Value> {
    match value.as_object()? {
        map if map.len() == 1 => map.get(tag),
        _ => None,
    }
}

fn tag(tag: &str, value: Value) -> Value {
    Value::Object(Map::from_iter([(tag.to_owned(), value)]))
}

/// A Python tuple: `{" t": [items]}`.
pub fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    tag(" t", Value::Array(items.into_iter().collect()))
}

/// The items of a tuple.
#[must_use]
pub fn as_tuple(value: &Value) -> Option<&[Value]> {
    tagged(value, " t")?.as_array().map(Vec::as_slice)
}

/// Python `bytes`: `{" b": "<standard base64, padded>"}`.
///
/// ```
/// use cookie_session::flask;
/// let value = flask::bytes(b"\x00\xff");
/// assert_eq!(value, serde_json::json!({" b": "AP8="}));
/// assert_eq!(flask::as_bytes(&value).as_deref(), Some(&b"\x00\xff"[..]));
/// assert_eq!(flask::as_bytes(&serde_json::json!({" b": "not base64!"})), None);
/// ```
#[must_use]
pub fn bytes(data: &[u8]) -> Value {
    tag(" b", Value::String(STANDARD.encode(data)))
}

/// The content of a `bytes` value.
#[must_use]
pub fn as_bytes(value: &Value) -> Option<Vec<u8>> {
    STANDARD.decode(tagged(value, " b")?.as_str()?).ok()
}

/// Markup (anything with `__html__`, such as `markupsafe.Markup`): `{" m": "<html>"}`.
pub fn markup(html: impl Into<String>) -> Value {
    tag(" m", Value::String(html.into()))
}

/// The HTML of a markup value.
#[must_use]
pub fn as_markup(value: &Value) -> Option<&str> {
    tagged(value, " m")?.as_str()
}

/// A UUID, as its 128-bit number: `{" u": "<32 lowercase hex digits>"}` (Python's `.hex`).
///
/// ```
/// use cookie_session::flask;
/// let value = flask::uuid(0x12345678_1234_5678_1234_567812345678);
/// assert_eq!(value, serde_json::json!({" u": "12345678123456781234567812345678"}));
/// assert_eq!(flask::as_uuid(&value), Some(0x12345678_1234_5678_1234_567812345678));
/// ```
#[must_use]
pub fn uuid(id: u128) -> Value {
    tag(" u", Value::String(format!("{id:032x}")))
}

/// The number of a UUID value.
#[must_use]
pub fn as_uuid(value: &Value) -> Option<u128> {
    let hex = tagged(value, " u")?.as_str()?;
    let valid = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| u128::from_str_radix(hex, 16).ok())?
}

/// A datetime, in whole UNIX seconds (UTC): `{" d": "Thu, 01 Jan 2026 12:30:00 GMT"}`, the HTTP
/// date Werkzeug writes (Flask reads it back as an aware UTC datetime; sub-seconds are lost).
///
/// ```
/// use cookie_session::flask;
/// let value = flask::datetime(1_767_270_600);
/// assert_eq!(value, serde_json::json!({" d": "Thu, 01 Jan 2026 12:30:00 GMT"}));
/// assert_eq!(flask::as_datetime(&value), Some(1_767_270_600));
/// assert_eq!(flask::as_datetime(&serde_json::json!({" d": "yesterday"})), None);
/// ```
#[must_use]
pub fn datetime(unix_secs: i64) -> Value {
    tag(" d", Value::String(http_date(unix_secs)))
}

/// The UNIX seconds of a datetime value written as Werkzeug writes them.
#[must_use]
pub fn as_datetime(value: &Value) -> Option<i64> {
    parse_http_date(tagged(value, " d")?.as_str()?)
}

/// A one-key object whose key is itself a tag name (`{" t": 1}` as plain data): Flask stores it
/// as `{" di": {" t__": 1}}` so that it is not read as a tuple.
///
/// ```
/// use cookie_session::flask;
/// let value = flask::dict_with_tag_key(" t", 1.into());
/// assert_eq!(value, serde_json::json!({" di": {" t__": 1}}));
/// ```
pub fn dict_with_tag_key(key: &str, value: Value) -> Value {
    tag(" di", tag(&format!("{key}__"), value))
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAY: i64 = 86_400;

/// `Thu, 01 Jan 1970 00:00:00 GMT` for `secs` after the epoch.
fn http_date(secs: i64) -> String {
    let (days, time) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (year, month, day) = civil_from_days(days);
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(month - 1) as usize];
    let (h, m, s) = (time / 3600, time / 60 % 60, time % 60);
    format!("{weekday}, {day:02} {month} {year:04} {h:02}:{m:02}:{s:02} GMT")
}

fn parse_http_date(text: &str) -> Option<i64> {
    let rest = text.strip_suffix(" GMT")?;
    let (weekday, rest) = rest.split_once(", ")?;
    let mut fields = rest.split(' ');
    let (day, month, year, time) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() || day.len() != 2 || year.len() != 4 || time.len() != 8 {
        return None;
    }
    let number = |digits: &str| -> Option<i64> {
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let (day, year) = (number(day)?, number(year)?);
    let mut hms = time.split(':').map(number);
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    let valid = (1..=31).contains(&day) && h < 24 && m < 60 && s < 60;
    let days = days_from_civil(year, month, day);
    let canonical = valid && civil_from_days(days) == (year, month, day);
    let secs = days * DAY + h * 3600 + m * 60 + s;
    (canonical && WEEKDAYS[days.rem_euclid(7) as usize] == weekday).then_some(secs)
}

/// Howard Hinnant's `civil_from_days`: (year, month 1-12, day 1-31) of a day count since 1970.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_match_werkzeug() {
        // Werkzeug's `http_date` for these instants.
        for (secs, text) in [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_769_904_000, "Sun, 01 Feb 2026 00:00:00 GMT"),
            (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        ] {
            assert_eq!(http_date(secs), text);
            assert_eq!(parse_http_date(text), Some(secs));
        }
        for bad in [
            "Thu, 1 Jan 1970 00:00:00 GMT",
            "Fri, 01 Jan 1970 00:00:00 GMT",
            "Thu, 30 Feb 2026 00:00:00 GMT",
            "Thu, 01 Jan 1970 24:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 UTC",
            "Thu, 01 Jan 1970 +0:00:00 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn readers_refuse_other_shapes() {
        let two_keys = serde_json::json!({" t": [], "x": 1});
        assert_eq!(as_tuple(&two_keys), None);
        assert_eq!(
            as_uuid(&serde_json::json!({" u": "+2345678123456781234567812345678"})),
            None
        );
        assert_eq!(as_markup(&markup("<b>")), Some("<b>"));
        assert_eq!(as_markup(&tuple([])), None);
    }
}
