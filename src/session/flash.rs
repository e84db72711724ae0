//! Flash messages: per-queue lists of one-time messages, stored under Pyramid's keys
//! (`_f_` + queue name; the default queue `""` is `_f_`), so a Pyramid app sharing the session
//! sees the same queues.

use serde::Serialize;
use serde_json::Value;

use super::Session;

/// The prefix of the session key that holds a flash queue.
pub const FLASH_KEY_PREFIX: &str = "_f_";

fn queue_key(queue: &str) -> String {
    let mut key = String::with_capacity(FLASH_KEY_PREFIX.len() + queue.len());
    key.push_str(FLASH_KEY_PREFIX);
    key.push_str(queue);
    key
}

impl Session {
    /// Appends `message` to the flash queue `queue` (`""` is the default queue). A mutation.
    ///
    /// With `allow_duplicate` false, a message equal to one already queued is not added again.
    /// A queue slot that holds something other than a list (which only a foreign writer could
    /// put there) is replaced by a new list.
    ///
    /// # Errors
    /// When `message` cannot be represented as JSON.
    ///
    /// ```
    /// # let mut session = cookie_session::Session::default();
    /// session.flash("", "Saved!", true)?;
    /// session.flash("", "Saved!", false)?; // not added twice
    /// session.flash("warn", "Disk almost full", true)?;
    /// assert_eq!(session.peek_flash(""), ["Saved!"]);
    /// assert_eq!(session.pop_flash("warn"), ["Disk almost full"]);
    /// assert!(session.pop_flash("warn").is_empty());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn flash<T: Serialize>(
        &mut self,
        queue: &str,
        message: T,
        allow_duplicate: bool,
    ) -> Result<(), serde_json::Error> {
        let message = serde_json::to_value(message)?;
        let slot = self
            .state_mut()
            .get_value_mut_or_insert_with(queue_key(queue), || Value::Array(Vec::new()));
        if !slot.is_array() {
            *slot = Value::Array(Vec::new());
        }
        if let Value::Array(messages) = slot
            && (allow_duplicate || !messages.contains(&message))
        {
            messages.push(message);
        }
        Ok(())
    }

    /// The messages queued under `queue`, without removing them. An access.
    #[must_use]
    pub fn peek_flash(&self, queue: &str) -> &[Value] {
        match self.get_value(&queue_key(queue)) {
            Some(Value::Array(messages)) => messages,
            _ => &[],
        }
    }

    /// Removes and returns the messages queued under `queue` (empty if none). A mutation, even
    /// when the queue is empty (as in Pyramid).
    ///
    /// ```
    /// # use cookie_session::{CookieSessionFactory, Secret, UnixTime};
    /// # let factory = CookieSessionFactory::new(Secret::generate())?;
    /// # let now = UnixTime::from_secs(1_700_000_000);
    /// # let cookie = factory.encode_value(&Default::default(), now, now)?;
    /// let mut session = factory.load(Some(&cookie), now);
    /// assert!(session.peek_flash("").is_empty());
    /// assert!(!session.is_changed(), "peeking is an access");
    /// assert!(session.pop_flash("").is_empty());
    /// assert!(session.is_changed(), "popping is a mutation, even of an empty queue");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pop_flash(&mut self, queue: &str) -> Vec<Value> {
        match self.remove(&queue_key(queue)) {
            Some(Value::Array(messages)) => messages,
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_use_pyramid_keys() {
        let mut s = Session::default();
        s.flash("", "a", true).unwrap();
        s.flash("warn", serde_json::json!({"code": 7}), true)
            .unwrap();
        assert_eq!(
            serde_json::to_string(&s.state().to_map()).unwrap(),
            r#"{"_f_":["a"],"_f_warn":[{"code":7}]}"#
        );
    }

    #[test]
    fn peek_is_an_access_pop_is_a_mutation() {
        let mut s = Session::default();
        assert!(s.peek_flash("x").is_empty());
        assert!(s.was_touched() && !s.is_changed());
        assert!(s.pop_flash("x").is_empty());
        assert!(s.is_changed());
    }

    #[test]
    fn a_foreign_non_list_slot_is_replaced() {
        let mut s = Session::default();
        s.insert_value("_f_", Value::from(5));
        assert!(s.peek_flash("").is_empty());
        s.flash("", 1, true).unwrap();
        assert_eq!(s.peek_flash(""), [Value::from(1)]);
    }
}
