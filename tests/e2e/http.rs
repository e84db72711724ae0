//! The HTTP client of the end-to-end tests: real TCP through `ureq`, with the session cookie
//! carried by hand, so each test sees exactly which `Set-Cookie` the server sends.

use std::net::SocketAddr;
use std::time::Duration;

/// An agent that returns 4xx/5xx responses instead of errors, and gives up after 20 s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// What a response said.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Reply {
    /// The `session=value` pair this response sets, if it sets one; a response never carries
    /// more than one `Set-Cookie` in these tests.
    pub fn session_pair(&self) -> Option<String> {
        assert!(self.set_cookies.len() <= 1, "{:?}", self.set_cookies);
        let pair = self.set_cookies.first()?.split(';').next()?;
        pair.starts_with("session=").then(|| pair.to_owned())
    }
}

/// Sends `GET` or `POST` to `url`, with `cookie` as the whole `Cookie` header if given.
pub fn send(agent: &ureq::Agent, method: &str, url: &str, cookie: Option<&str>) -> Reply {
    let response = match method {
        "GET" => {
            let mut request = agent.get(url);
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            request.call()
        }
        "POST" => {
            let mut request = agent.post(url);
            if let Some(cookie) = cookie {
                request = request.header("Cookie", cookie);
            }
            request.send_empty()
        }
        other => panic!("method {other} is not used in these tests"),
    };
    let mut response = response.unwrap_or_else(|error| panic!("{method} {url}: {error}"));
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().expect("an ASCII Set-Cookie").to_owned())
        .collect();
    Reply {
        status: response.status().as_u16(),
        set_cookies,
        body: response.body_mut().read_to_string().expect("a text body"),
    }
}

/// One user: keeps the session cookie between requests, as a browser's jar would.
pub struct Browser {
    agent: ureq::Agent,
    base: String,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            agent: agent(),
            base: format!("http://{addr}"),
            cookie: None,
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path)
    }

    pub fn post(&mut self, path: &str) -> Reply {
        self.send("POST", path)
    }

    fn send(&mut self, method: &str, path: &str) -> Reply {
        let url = format!("{}{path}", self.base);
        let reply = send(&self.agent, method, &url, self.cookie.as_deref());
        if let Some(pair) = reply.session_pair() {
            self.cookie = Some(pair);
        }
        reply
    }
}
