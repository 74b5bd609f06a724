//! The HTTP layer the forge clients share: authenticated JSON requests,
//! status codes to [`ForgeError`], the forge's message out of an error
//! body (token scrubbed).

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ClientOptions, ForgeError, Token};

/// Longest forge message kept in an error, in characters.
const MAX_MESSAGE: usize = 500;

/// Pages read at most when listing pull requests or labels.
pub(crate) const MAX_PAGES: usize = 50;

/// How the token is sent.
pub(crate) struct Auth {
    /// Header name.
    pub header: &'static str,
    /// Text before the token in the header value (`Bearer `, `token `).
    pub prefix: &'static str,
    pub token: Token,
}

pub(crate) struct Http {
    agent: ureq::Agent,
    auth: Auth,
    /// Headers sent with every request (GitHub's `Accept` and API version).
    extra: Vec<(&'static str, &'static str)>,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http")
            .field("auth_header", &self.auth.header)
            .field("token", &self.auth.token)
            .finish_non_exhaustive()
    }
}

/// A successful answer.
pub(crate) struct Reply {
    pub url: String,
    pub body: String,
    /// GitLab's `X-Next-Page` (empty on the last page).
    pub next_page: Option<String>,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ForgeError> {
        serde_json::from_str(&self.body).map_err(|e| ForgeError::InvalidResponse {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }
}

impl Http {
    pub fn new(auth: Auth, extra: Vec<(&'static str, &'static str)>, opts: &ClientOptions) -> Http {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.timeout)
            .timeout_read(opts.timeout)
            .timeout_write(opts.timeout)
            // A redirect could take the token header to another host.
            .redirects(0)
            .user_agent(&opts.user_agent)
            .build();
        Http { agent, auth, extra }
    }

    /// `method url?query` with an optional JSON body.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, ForgeError> {
        let mut req = self.agent.request(method, url);
        for (k, v) in query {
            req = req.query(k, v);
        }
        for (k, v) in &self.extra {
            req = req.set(k, v);
        }
        req = req.set(
            self.auth.header,
            &format!("{}{}", self.auth.prefix, self.auth.token.expose()),
        );
        let shown = url.to_string();
        let res = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match res {
            Ok(resp) if (200..300).contains(&resp.status()) => {
                let next_page = resp.header("x-next-page").map(str::to_string);
                let body = resp.into_string().map_err(|e| ForgeError::Network {
                    url: shown.clone(),
                    message: self.auth.token.scrub(&e.to_string()),
                })?;
                Ok(Reply {
                    url: shown,
                    body,
                    next_page,
                })
            }
            Ok(resp) => {
                let status = resp.status();
                let to = resp.header("location").unwrap_or("?").to_string();
                Err(ForgeError::Http {
                    url: shown,
                    status,
                    message: self.clean(&format!("redirect to {to} not followed")),
                })
            }
            Err(ureq::Error::Status(status, resp)) => Err(self.status_error(&shown, status, resp)),
            Err(ureq::Error::Transport(t)) => Err(ForgeError::Network {
                url: shown,
                message: self.clean(&t.to_string()),
            }),
        }
    }

    /// `send`, and the answer as JSON of type `T`.
    pub fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, ForgeError> {
        self.send(method, url, query, body)?.json()
    }

    /// Message text fit for an error: one line, clipped, token removed.
    pub fn clean(&self, s: &str) -> String {
        let one: String = s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let clipped = match one.char_indices().nth(MAX_MESSAGE) {
            Some((i, _)) => format!("{}…", &one[..i]),
            None => one,
        };
        self.auth.token.scrub(&clipped)
    }

    fn status_error(&self, url: &str, status: u16, resp: ureq::Response) -> ForgeError {
        let header_num = |name: &str| resp.header(name).and_then(|v| v.trim().parse::<u64>().ok());
        let retry_after_secs = header_num("retry-after");
        let reset_at = header_num("x-ratelimit-reset").or_else(|| header_num("ratelimit-reset"));
        let remaining =
            header_num("x-ratelimit-remaining").or_else(|| header_num("ratelimit-remaining"));
        let text = resp.into_string().unwrap_or_default();
        let message = self.clean(&forge_message(&text));
        let url = url.to_string();
        let limited = status == 429
            || (status == 403
                && (remaining == Some(0)
                    || retry_after_secs.is_some()
                    || message.to_ascii_lowercase().contains("rate limit")));
        if limited {
            return ForgeError::RateLimited {
                url,
                reset_at,
                retry_after_secs,
                message,
            };
        }
        let exists = message.to_ascii_lowercase().contains("already exist");
        match status {
            401 | 403 => ForgeError::Unauthorized {
                url,
                status,
                message,
            },
            404 => ForgeError::NotFound { url, message },
            409 | 422 if exists => ForgeError::AlreadyExists { url, message },
            409 => ForgeError::Conflict { url, message },
            _ => ForgeError::Http {
                url,
                status,
                message,
            },
        }
    }
}

/// The human part of an error body: GitHub `message` and `errors[]`,
/// GitLab `message` (text, list or field map) or `error`, Gitea `message`;
/// the text itself when it is not JSON.
pub(crate) fn forge_message(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        let t = body.trim();
        return if t.is_empty() {
            "(no message)".to_string()
        } else {
            t.to_string()
        };
    };
    let mut parts = Vec::new();
    match v.get("message") {
        Some(Value::String(s)) => parts.push(s.clone()),
        Some(Value::Null) | None => {}
        Some(other) => parts.push(flatten(other)),
    }
    if let Some(Value::Array(errors)) = v.get("errors") {
        for e in errors {
            match e {
                Value::String(s) => parts.push(s.clone()),
                Value::Object(o) => {
                    if let Some(Value::String(m)) = o.get("message") {
                        parts.push(m.clone());
                    } else {
                        let field = [o.get("resource"), o.get("field")]
                            .iter()
                            .flatten()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(".");
                        let code = o.get("code").and_then(Value::as_str).unwrap_or("invalid");
                        parts.push(format!("{field} {code}").trim().to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if parts.is_empty() {
        for key in ["error", "error_description"] {
            if let Some(Value::String(s)) = v.get(key) {
                parts.push(s.clone());
            }
        }
    }
    if parts.is_empty() {
        return flatten(&v);
    }
    parts.join(": ")
}

/// A JSON value as `key: value; ...` text.
fn flatten(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(flatten).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", flatten(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// One URL path segment, percent-encoded (a GitLab project path becomes
/// one segment: `group%2Frepo`).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base` without trailing slashes.
pub(crate) fn trim_base(base: &str) -> String {
    base.trim().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            forge_message(
                r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for o:b."}]}"#
            ),
            "Validation Failed: A pull request already exists for o:b."
        );
        assert_eq!(
            forge_message(
                r#"{"message":"Validation Failed","errors":[{"resource":"PullRequest","field":"head","code":"invalid"}]}"#
            ),
            "Validation Failed: PullRequest.head invalid"
        );
        assert_eq!(
            forge_message(r#"{"message":{"title":["can't be blank"]}}"#),
            "title: can't be blank"
        );
        assert_eq!(
            forge_message(
                r#"{"message":["Another open merge request already exists for this source branch: !3"]}"#
            ),
            "Another open merge request already exists for this source branch: !3"
        );
        assert_eq!(
            forge_message(r#"{"error":"insufficient_scope"}"#),
            "insufficient_scope"
        );
        assert_eq!(forge_message("Bad Gateway"), "Bad Gateway");
        assert_eq!(forge_message(""), "(no message)");
    }

    #[test]
    fn segments() {
        assert_eq!(segment("group/sub/repo"), "group%2Fsub%2Frepo");
        assert_eq!(segment("a.b-c_d~e"), "a.b-c_d~e");
        assert_eq!(segment("a b"), "a%20b");
    }
}
