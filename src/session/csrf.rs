//! CSRF tokens stored in the session under Pyramid's key `_csrft_`: 40 lowercase hex characters
//! (20 random bytes), compared in constant time.

use serde_json::Value;
use subtle::ConstantTimeEq;

use super::Session;

/// The session key that holds the CSRF token.
pub const CSRF_TOKEN_KEY: &str = "_csrft_";

/// Bytes of randomness in a token (Pyramid: `os.urandom(20)`).
const TOKEN_BYTES: usize = 20;

impl Session {
    /// Makes a new CSRF token, stores it and returns it. A mutation.
    ///
    /// # Panics
    /// If the operating system's random number generator fails (it does not on supported
    /// platforms once booted).
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// let token = session.new_csrf_token();
    /// assert_eq!(token.len(), 40);
    /// assert!(session.check_csrf_token(&token));
    /// assert!(!session.check_csrf_token("0000000000000000000000000000000000000000"));
    /// assert_ne!(session.new_csrf_token(), token);
    /// ```
    pub fn new_csrf_token(&mut self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        let token = base16ct::lower::encode_string(&bytes);
        self.insert_value(CSRF_TOKEN_KEY, Value::String(token.clone()));
        token
    }

    /// The current CSRF token, made (a mutation) if there is none yet (an access otherwise).
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// let token = session.get_csrf_token();
    /// assert_eq!(session.get_csrf_token(), token);
    /// ```
    pub fn get_csrf_token(&mut self) -> String {
        match self.get_value(CSRF_TOKEN_KEY) {
            Some(Value::String(token)) => token.clone(),
            _ => self.new_csrf_token(),
        }
    }

    /// Whether `supplied` equals the session's CSRF token, compared in constant time. False when
    /// the session has no token. An access.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// assert!(!session.check_csrf_token(""), "no token yet: nothing matches");
    /// let token = session.get_csrf_token();
    /// assert!(session.check_csrf_token(&token));
    /// assert!(!session.check_csrf_token(&token[..39]));
    /// session.invalidate(); // e.g. at logout: the token goes with the rest
    /// assert!(!session.check_csrf_token(&token));
    /// ```
    #[must_use]
    pub fn check_csrf_token(&self, supplied: &str) -> bool {
        match self.get_value(CSRF_TOKEN_KEY) {
            Some(Value::String(token)) => token.as_bytes().ct_eq(supplied.as_bytes()).into(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_forty_lowercase_hex_under_pyramids_key() {
        let mut s = Session::default();
        let token = s.get_csrf_token();
        assert_eq!(token.len(), 40);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(
            s.get_value(CSRF_TOKEN_KEY),
            Some(&Value::String(token.clone()))
        );
        assert!(s.is_changed());
    }

    #[test]
    fn debug_output_does_not_show_the_token() {
        let mut s = Session::default();
        let token = s.new_csrf_token();
        let debug = format!("{s:?}");
        assert!(
            debug.contains(CSRF_TOKEN_KEY) && !debug.contains(&token),
            "{debug}"
        );
    }

    #[test]
    fn check_rejects_wrong_length_and_missing_token() {
        let mut s = Session::default();
        assert!(!s.check_csrf_token(""));
        let token = s.new_csrf_token();
        assert!(!s.check_csrf_token(&token[..39]));
        assert!(!s.check_csrf_token(&format!("{token}0")));
        s.invalidate();
        assert!(!s.check_csrf_token(&token));
    }
}
