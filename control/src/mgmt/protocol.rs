//! The control-socket protocol: one request line per connection, one JSON answer.
//!
//! Requests are the manual's words: `print <menu> [show-keys]`, `installed-sa flush`,
//! `remote-peers kill-connections`, `reload`. Answers are a JSON object: a
//! [`MenuDocument`](super::menu::MenuDocument) for `print`, `{"result": "..."}` for a
//! command, `{"error": "..."}` when the request failed.

use std::fmt;
use std::path::Path;

use serde_json::{Value, json};

use super::menu::{Menu, MenuDocument, UnknownMenu};
use super::socket;

/// What a client asks the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Print {
        menu: Menu,
        show_keys: bool,
    },
    /// `/ip ipsec remote-peers kill-connections`.
    KillConnections,
    /// `/ip ipsec installed-sa flush`.
    FlushInstalledSa,
    /// Re-read the config file and apply what changed.
    Reload,
}

/// A request line the daemon does not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    UnknownMenu(#[from] UnknownMenu),
    #[error(
        "unknown request {0:?}; accepted: print <menu> [show-keys], installed-sa flush, remote-peers kill-connections, reload"
    )]
    Unknown(String),
}

impl Request {
    pub fn parse(line: &str) -> Result<Request, RequestError> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["print", rest @ ..] if !rest.is_empty() => {
                let (menu, show_keys) = match rest.split_last() {
                    Some((&"show-keys", menu)) => (menu, true),
                    _ => (rest, false),
                };
                Ok(Request::Print {
                    menu: Menu::parse(menu)?,
                    show_keys,
                })
            }
            ["remote-peers", "kill-connections"] => Ok(Request::KillConnections),
            ["installed-sa", "flush"] => Ok(Request::FlushInstalledSa),
            ["reload"] => Ok(Request::Reload),
            _ => Err(RequestError::Unknown(line.to_owned())),
        }
    }
}

impl fmt::Display for Request {
    /// The request line, as [`Request::parse`] reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Print { menu, show_keys } => {
                write!(
                    f,
                    "print {menu}{}",
                    if *show_keys { " show-keys" } else { "" }
                )
            }
            Request::KillConnections => f.write_str("remote-peers kill-connections"),
            Request::FlushInstalledSa => f.write_str("installed-sa flush"),
            Request::Reload => f.write_str("reload"),
        }
    }
}

/// The answer to a command that succeeded.
pub fn result(message: &str) -> Value {
    json!({ "result": message })
}

/// The answer to a request that failed.
pub fn error(message: &str) -> Value {
    json!({ "error": message })
}

/// Why a client got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the daemon's answer is not valid JSON")]
    Json(#[from] serde_json::Error),
    /// The daemon refused the request; its message.
    #[error("{0}")]
    Refused(String),
}

/// Sends a request and returns the daemon's answer, an `{"error"}` answer as an error.
pub fn call(socket_path: &Path, request: Request) -> Result<Value, ClientError> {
    let answer = socket::request(socket_path, &request.to_string())?;
    let value: Value = serde_json::from_str(&answer)?;
    if let Some(message) = value.get("error").and_then(Value::as_str) {
        return Err(ClientError::Refused(message.to_owned()));
    }
    Ok(value)
}

/// `print <menu>`: the menu's document.
pub fn print(socket_path: &Path, menu: Menu, show_keys: bool) -> Result<MenuDocument, ClientError> {
    let value = call(socket_path, Request::Print { menu, show_keys })?;
    Ok(serde_json::from_value(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        for r in [
            Request::Print {
                menu: Menu::PolicyGroup,
                show_keys: false,
            },
            Request::Print {
                menu: Menu::InstalledSa,
                show_keys: true,
            },
            Request::KillConnections,
            Request::FlushInstalledSa,
            Request::Reload,
        ] {
            assert_eq!(Request::parse(&r.to_string()), Ok(r));
        }
        assert_eq!(
            Request::parse("print policy group"),
            Ok(Request::Print {
                menu: Menu::PolicyGroup,
                show_keys: false
            })
        );
        assert!(matches!(
            Request::parse("print nothing"),
            Err(RequestError::UnknownMenu(_))
        ));
        assert!(matches!(
            Request::parse("shutdown"),
            Err(RequestError::Unknown(_))
        ));
        assert!(Request::parse("print").is_err());
    }
}
