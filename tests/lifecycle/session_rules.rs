//! Pyramid's session rules through the factory, in the native format: when a `Set-Cookie` is
//! sent, reissue, invalidate, flash queues, CSRF tokens, `set_on_error`, and which of several
//! cookies of the same name wins.

use std::time::Duration;

use cookie_session::{CookieSessionFactory, Secret, Session, SetCookie, UnixTime};
use serde_json::json;

const T0: u64 = 1_700_000_000;

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn factory() -> CookieSessionFactory {
    CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32]))
        .timeout(Duration::from_secs(1200))
        .reissue_time(Duration::from_secs(120))
        .build()
        .unwrap()
}

/// One request: load the cookie, run `handler`, finish.
fn request(
    factory: &CookieSessionFactory,
    cookie: Option<&SetCookie>,
    now: u64,
    handler: impl FnOnce(&mut Session),
) -> Option<SetCookie> {
    let mut session = factory.load(cookie.map(SetCookie::value), at(now));
    handler(&mut session);
    factory.finish(&session, at(now)).unwrap()
}

#[test]
fn an_untouched_request_sends_nothing() {
    let f = factory();
    assert!(request(&f, None, T0, |_| {}).is_none());
    let cookie = request(&f, None, T0, |s| {
        s.insert("a", 1).unwrap();
    })
    .unwrap();
    // Long after reissue_time, but never read: still nothing.
    assert!(request(&f, Some(&cookie), T0 + 1000, |_| {}).is_none());
}

#[test]
fn a_new_session_that_is_only_read_sends_nothing() {
    let f = factory();
    assert!(
        request(&f, None, T0, |s| assert_eq!(
            s.get::<u8>("a").unwrap(),
            None
        ))
        .is_none()
    );
    assert!(request(&f, None, T0, |s| assert!(s.is_empty())).is_none());
}

#[test]
fn reads_reissue_only_after_reissue_time() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("user", "john").unwrap();
    })
    .unwrap();
    let read = |s: &mut Session| {
        assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("john"));
    };
    assert!(
        request(&f, Some(&cookie), T0 + 120, read).is_none(),
        "120 s is not > 120 s"
    );
    let reissued = request(&f, Some(&cookie), T0 + 121, read).expect("reissued");
    let verified = f.verify(reissued.value(), at(T0 + 121)).unwrap();
    assert_eq!(verified.accessed, at(T0 + 121));
    assert_eq!(verified.created, at(T0));
    // Active readers stay logged in past the timeout, as long as each read reissues.
    let later = request(&f, Some(&reissued), T0 + 1300, read).expect("reissued again");
    assert!(f.verify(later.value(), at(T0 + 2400)).is_ok());
}

#[test]
fn reissue_none_never_reissues_and_writes_always_do() {
    let f = CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32]))
        .reissue_time(None)
        .build()
        .unwrap();
    let cookie = request(&f, None, T0, |s| {
        s.insert("a", 1).unwrap();
    })
    .unwrap();
    assert!(
        request(&f, Some(&cookie), T0 + 1000, |s| {
            let _ = s.get_value("a");
        })
        .is_none()
    );
    assert!(
        request(&f, Some(&cookie), T0 + 1, |s| {
            s.remove("missing");
        })
        .is_some(),
        "a removal is a mutation even when nothing was there"
    );
}

#[test]
fn invalidate_sends_an_empty_session_with_the_same_created() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("user", "john").unwrap();
    })
    .unwrap();
    let cleared = request(&f, Some(&cookie), T0 + 10, |s| {
        s.invalidate();
        assert!(s.is_invalidated());
    })
    .unwrap();
    let verified = f.verify(cleared.value(), at(T0 + 10)).unwrap();
    assert!(verified.state.is_empty());
    assert_eq!(verified.created, at(T0));
    // Writes after invalidate() are kept (Pyramid: invalidate is clear()).
    let relogged = request(&f, Some(&cookie), T0 + 10, |s| {
        s.invalidate();
        s.insert("user", "mary").unwrap();
    })
    .unwrap();
    assert_eq!(
        f.verify(relogged.value(), at(T0 + 10)).unwrap().state["user"],
        "mary"
    );
}

#[test]
fn mark_changed_without_access_keeps_the_accessed_stamp() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("a", 1).unwrap();
    })
    .unwrap();
    let resent = request(&f, Some(&cookie), T0 + 30, Session::mark_changed).unwrap();
    assert_eq!(
        f.verify(resent.value(), at(T0 + 30)).unwrap().accessed,
        at(T0)
    );
}

#[test]
fn an_expired_session_is_empty_and_a_read_reissues_it() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("a", 1).unwrap();
    })
    .unwrap();
    let reissued = request(&f, Some(&cookie), T0 + 1201, |s| {
        assert!(!s.is_new());
        assert!(s.is_empty());
    })
    .expect("Pyramid re-sends {} with the old created");
    let verified = f.verify(reissued.value(), at(T0 + 1201)).unwrap();
    assert!(verified.state.is_empty());
    assert_eq!(verified.created, at(T0));
}

#[test]
fn flash_queues_survive_requests() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.flash("", "Saved!", true).unwrap();
        s.flash("", "Saved!", false).unwrap();
        s.flash("warn", json!({"code": 7}), true).unwrap();
    })
    .unwrap();
    assert!(
        request(&f, Some(&cookie), T0 + 1, |s| {
            assert_eq!(s.peek_flash("warn"), [json!({"code": 7})]);
        })
        .is_none(),
        "peek is only a read"
    );
    let popped = request(&f, Some(&cookie), T0 + 2, |s| {
        assert_eq!(s.pop_flash(""), [json!("Saved!")]);
        assert!(s.pop_flash("").is_empty());
    })
    .unwrap();
    let state = f.verify(popped.value(), at(T0 + 2)).unwrap().state;
    assert_eq!(
        serde_json::Value::Object(state),
        json!({"_f_warn": [{"code": 7}]})
    );
}

#[test]
fn csrf_token_persists_and_checks_in_constant_time() {
    let f = factory();
    let mut token = String::new();
    let cookie = request(&f, None, T0, |s| token = s.get_csrf_token()).unwrap();
    assert!(
        request(&f, Some(&cookie), T0 + 1, |s| {
            assert_eq!(s.get_csrf_token(), token);
            assert!(s.check_csrf_token(&token));
            assert!(!s.check_csrf_token(&token.to_uppercase()));
        })
        .is_none(),
        "an existing token is only read"
    );
    let renewed = request(&f, Some(&cookie), T0 + 2, |s| {
        assert_ne!(s.new_csrf_token(), token);
    })
    .unwrap();
    assert_ne!(
        f.verify(renewed.value(), at(T0 + 2)).unwrap().state["_csrft_"],
        token.as_str()
    );
}

#[test]
fn set_on_error_decides_for_5xx_only() {
    for set_on_error in [true, false] {
        let f = CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32]))
            .set_on_error(set_on_error)
            .build()
            .unwrap();
        let mut session = f.load(None, at(T0));
        session.insert("x", 1).unwrap();
        assert!(
            f.finish_for_status(&session, 200, at(T0))
                .unwrap()
                .is_some()
        );
        assert!(
            f.finish_for_status(&session, 404, at(T0))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            f.finish_for_status(&session, 500, at(T0))
                .unwrap()
                .is_some(),
            set_on_error
        );
    }
}

#[test]
fn the_first_valid_cookie_of_the_name_wins() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("who", "real").unwrap();
    })
    .unwrap();
    let header = format!("session=garbage; other=1; session={}", cookie.value());
    let session = f.load_from_cookie_headers([header.as_str()], at(T0));
    assert_eq!(
        session.get::<String>("who").unwrap().as_deref(),
        Some("real")
    );
    // Split across two Cookie headers, too.
    let session = f.load_from_cookie_headers(["session=garbage", header.as_str()], at(T0));
    assert!(!session.is_new());
    // A stale (expired) cookie at another path does not hide the live one.
    let stale = request(&f, None, T0 - 5000, |s| {
        s.insert("who", "stale").unwrap();
    })
    .unwrap();
    let both = format!("session={}; session={}", stale.value(), cookie.value());
    let session = f.load_from_cookie_headers([both.as_str()], at(T0));
    assert_eq!(
        session.get::<String>("who").unwrap().as_deref(),
        Some("real")
    );
    // With only the stale one, the session is the expired one: empty and not new.
    let only_stale = format!("session=garbage; session={}", stale.value());
    let session = f.load_from_cookie_headers([only_stale.as_str()], at(T0));
    assert!(!session.is_new() && session.is_empty());
    assert_eq!(
        session.load_error(),
        Some(cookie_session::DecodeError::Expired)
    );
    // At most four candidates are tried; the fifth is ignored and the first error is kept.
    let crowded = format!("{}session={}", "session=x; ".repeat(4), cookie.value());
    let session = f.load_from_cookie_headers([crowded.as_str()], at(T0));
    assert!(session.is_new());
    assert_eq!(session.load_error().unwrap().code(), "malformed");
}

#[test]
fn set_cookie_carries_the_safe_defaults() {
    let f = factory();
    let cookie = request(&f, None, T0, |s| {
        s.insert("a", 1).unwrap();
    })
    .unwrap();
    let header = cookie.as_str();
    assert!(header.starts_with(&format!("session={}", cookie.value())));
    for attribute in ["; HttpOnly", "; SameSite=Lax", "; Secure", "; Path=/"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(
        !header.contains("Max-Age"),
        "a browser-session cookie by default"
    );
}

#[test]
fn a_zero_timeout_needs_a_zero_reissue_time() {
    let builder =
        || CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32])).timeout(Duration::ZERO);
    assert!(matches!(
        builder().build(),
        Err(cookie_session::ConfigError::ReissueNotBelowTimeout {
            reissue: 120,
            timeout: 0
        })
    ));
    assert!(builder().reissue_time(Duration::ZERO).build().is_ok());
    assert!(builder().reissue_time(None).build().is_ok());
}

// ----- regeneration at login (session fixation) ----------------------------------------------

#[test]
fn regenerate_starts_a_fresh_session_with_a_new_csrf_token() {
    let f = factory();
    // Before login: the session (perhaps planted by an attacker) has a token and some state.
    let mut planted_token = String::new();
    let before = request(&f, None, T0, |s| {
        planted_token = s.get_csrf_token();
        s.insert("cart", ["book"]).unwrap();
        s.insert("role", "admin").unwrap();
    })
    .unwrap();

    let login = T0 + 300;
    let mut new_token = String::new();
    let after = request(&f, Some(&before), login, |s| {
        assert_eq!(s.created(), at(T0));
        s.regenerate_keeping(&["cart"]);
        s.insert("user_id", 42).unwrap();
        new_token = s.get_csrf_token();
    })
    .expect("regeneration sends a new cookie");

    let session = f.load(Some(after.value()), at(login));
    assert!(
        !session.check_csrf_token(&planted_token),
        "old token still valid"
    );
    assert!(session.check_csrf_token(&new_token));
    assert_eq!(session.created(), at(login), "created not reset");
    assert_eq!(session.accessed(), at(login));
    assert_eq!(
        session.get::<Vec<String>>("cart").unwrap().unwrap(),
        ["book"]
    );
    assert_eq!(session.get::<String>("role").unwrap(), None);
    assert_eq!(session.get::<u32>("user_id").unwrap(), Some(42));
}

#[test]
fn regenerate_replaces_the_token_even_when_asked_to_keep_it() {
    let f = factory();
    let mut session = f.load(None, at(T0));
    let old = session.get_csrf_token();
    session.regenerate_keeping(&["_csrft_", "absent"]);
    assert!(!session.check_csrf_token(&old));
    assert_eq!(session.len(), 1, "only the new token: {session:?}");
    assert!(session.is_changed());
}

#[test]
fn regenerate_then_max_lifetime_counts_from_the_login() {
    let f = CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32]))
        .timeout(None)
        .max_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    let before = request(&f, None, T0, |s| {
        s.insert("n", 1).unwrap();
    })
    .unwrap();
    let after = request(&f, Some(&before), T0 + 3000, Session::regenerate).unwrap();
    // The pre-login cookie's lifetime is over; the regenerated one has most of its own left.
    assert!(f.load(Some(before.value()), at(T0 + 3601)).is_new());
    let session = f.load(Some(after.value()), at(T0 + 3601));
    assert_eq!(session.load_error(), None);
}

// ----- cookie name prefixes (cookie tossing) ---------------------------------------------------

mod cookie_prefixes {
    use cookie_session::{ConfigError, CookieSessionBuilder, CookieSessionFactory, Secret};

    fn builder(name: &str) -> CookieSessionBuilder {
        CookieSessionFactory::builder(Secret::from_bytes(vec![9; 32])).cookie_name(name)
    }

    fn refused(builder: CookieSessionBuilder, prefix: &'static str, requirement: &'static str) {
        assert_eq!(
            builder.build().unwrap_err(),
            ConfigError::CookiePrefix {
                prefix,
                requirement
            }
        );
    }

    #[test]
    fn host_prefix_needs_secure_root_path_and_no_domain() {
        let factory = builder("__Host-session").build().unwrap();
        let cookie = {
            let now = cookie_session::UnixTime::from_secs(1_700_000_000);
            let mut session = factory.load(None, now);
            session.insert("n", 1).unwrap();
            factory.finish(&session, now).unwrap().unwrap()
        };
        let header = cookie.as_str();
        assert!(header.starts_with("__Host-session="), "{header}");
        assert!(
            header.contains("; Secure") && header.contains("; Path=/"),
            "{header}"
        );
        assert!(!header.contains("Domain"), "{header}");

        refused(builder("__Host-session").secure(false), "__Host-", "Secure");
        refused(
            builder("__Host-session").path(Some("/app".to_owned())),
            "__Host-",
            "Path=/",
        );
        refused(builder("__Host-session").path(None), "__Host-", "Path=/");
        refused(
            builder("__Host-session").domain(Some("example.com".to_owned())),
            "__Host-",
            "no Domain",
        );
    }

    #[test]
    fn secure_prefix_needs_secure_only() {
        builder("__Secure-session")
            .path(Some("/app".to_owned()))
            .domain(Some("example.com".to_owned()))
            .build()
            .unwrap();
        refused(
            builder("__Secure-session").secure(false),
            "__Secure-",
            "Secure",
        );
    }

    #[test]
    fn prefixes_are_matched_in_any_letter_case_as_browsers_do() {
        refused(builder("__host-sid").secure(false), "__Host-", "Secure");
        refused(
            builder("__HOST-sid").domain(Some("example.com".to_owned())),
            "__Host-",
            "no Domain",
        );
        refused(builder("__SeCuRe-sid").secure(false), "__Secure-", "Secure");
        // Names that only look alike carry no prefix.
        for name in ["_Host-sid", "__Hostsid", "x__Host-sid", "__Secure"] {
            builder(name).secure(false).build().unwrap();
        }
    }
}
