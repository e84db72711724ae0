//! The session lifecycle: session rules, key loading, hot reload, and the command-line tool.
//!
//! One test binary (one link of every dependency) for these suites; each file is one module.

mod cli;
mod hot_reload;
mod key_loading;
mod session_rules;
