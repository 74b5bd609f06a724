//! Forge clients: open, find, update and auto-merge patch pull requests
//! (merge requests on GitLab) through the forges' REST APIs.
//!
//! [`Forge`] is what `patchloop apply` needs; [`GitHub`], [`GitLab`] and
//! [`Gitea`] (also Forgejo) implement it with blocking HTTP (`ureq`,
//! rustls). [`ForgeConfig`] tells the forge and repository from a git
//! remote URL; [`pr_title`] and [`pr_body`] write what the pull request
//! says. docs/forges.md has the endpoints, settings and limits.
//!
//! Tokens are held in [`Token`], whose `Debug` output is redacted; error
//! messages quote the forge's answer with any copy of the token removed.
//! Redirects are never followed, so no token is sent to another host.

mod body;
mod gitea;
mod github;
mod gitlab;
mod http;
mod remote;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use body::{MAX_BODY_LEN, pr_body, pr_title};
pub use gitea::Gitea;
pub use github::GitHub;
pub use gitlab::GitLab;
pub use remote::{ForgeConfig, ForgeKind, RemoteOverrides, RemoteUrl, parse_remote};

/// A forge request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// 401, or 403 other than rate limiting: the token is missing a scope,
    /// expired, or has no access to the repository.
    #[error("{url}: not authorized (HTTP {status}): {message}")]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
    },
    /// 404: the repository, pull request or endpoint does not exist (or
    /// the token may not see it).
    #[error("{url}: not found: {message}")]
    NotFound { url: String, message: String },
    /// An open pull request for the same head branch already exists
    /// (GitHub 422, GitLab and Gitea 409).
    #[error("{url}: a pull request for this branch already exists: {message}")]
    AlreadyExists { url: String, message: String },
    /// 409 for another reason (the head moved, the pull request is not
    /// open, ...).
    #[error("{url}: conflict: {message}")]
    Conflict { url: String, message: String },
    /// 429, or 403 with the rate-limit signs. `reset_at` is the unix time
    /// the limit resets, `retry_after_secs` the wait the forge asked for.
    #[error("{url}: rate limited{}: {message}", rate_hint(*.reset_at, *.retry_after_secs))]
    RateLimited {
        url: String,
        reset_at: Option<u64>,
        retry_after_secs: Option<u64>,
        message: String,
    },
    /// The forge answered with a status of its own refusing the request.
    #[error("{url}: HTTP {status}: {message}")]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    /// The forge accepted the HTTP request but refused the operation in
    /// its answer (a GraphQL error, auto-merge not allowed on the
    /// repository, ...).
    #[error("{url}: refused: {message}")]
    Refused { url: String, message: String },
    /// No answer: connection, TLS or timeout.
    #[error("{url}: network error: {message}")]
    Network { url: String, message: String },
    /// The answer could not be read.
    #[error("{url}: unexpected response: {message}")]
    InvalidResponse { url: String, message: String },
    /// The token's environment variable is unset or empty.
    #[error("no forge token: environment variable {var} is not set")]
    MissingToken { var: String },
    /// The remote URL or forge settings do not say enough.
    #[error("remote {remote}: {message}")]
    Config { remote: String, message: String },
}

fn rate_hint(reset_at: Option<u64>, retry_after: Option<u64>) -> String {
    match (reset_at, retry_after) {
        (_, Some(s)) => format!(" (retry after {s} s)"),
        (Some(t), None) => format!(" (resets at unix time {t})"),
        (None, None) => String::new(),
    }
}

/// An API token. `Debug` never shows it; it leaves this type only in the
/// request header.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into().trim().to_string())
    }

    /// The token in environment variable `var` (trimmed); an unset or
    /// empty variable is [`ForgeError::MissingToken`].
    pub fn from_env(var: &str) -> Result<Token, ForgeError> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Token::new(v)),
            _ => Err(ForgeError::MissingToken {
                var: var.to_string(),
            }),
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every copy of the token replaced.
    pub(crate) fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// How a pull request is merged once auto-merge fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMethod {
    /// A merge commit.
    #[default]
    Merge,
    /// One squashed commit.
    Squash,
    /// The branch's commits rebased onto the base.
    Rebase,
}

/// Settings shared by the clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Connect, read and write timeout of each request.
    pub timeout: Duration,
    pub user_agent: String,
    pub merge_method: MergeMethod,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            user_agent: concat!("patchloop/", env!("CARGO_PKG_VERSION")).to_string(),
            merge_method: MergeMethod::default(),
        }
    }
}

/// State of a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

/// A pull request (GitLab: merge request) as the forge reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The number shown in the forge's UI (GitHub and Gitea `number`,
    /// GitLab `iid`).
    pub number: u64,
    /// The web page of the pull request.
    pub url: String,
    pub state: PrState,
}

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullRequestRequest {
    pub title: String,
    /// Markdown ([`pr_body`]).
    pub body: String,
    /// The branch with the changes (`patchloop/<id>`), in the same
    /// repository.
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// Label names; missing labels are created (GitHub and GitLab do it
    /// themselves, the Gitea client creates them).
    pub labels: Vec<String>,
    /// Open as a draft (GitHub draft; GitLab `Draft:` and Gitea `WIP:`
    /// title prefix).
    pub draft: bool,
}

/// What to change in an open pull request (`None`: leave as it is).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PullRequestUpdate {
    pub title: Option<String>,
    pub body: Option<String>,
    /// The new title is for a draft: GitLab and Gitea get the draft prefix
    /// on it. GitHub ignores this (draft state is not a title there).
    pub draft: bool,
}

/// Which open pull requests [`Forge::count_open`] counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFilter {
    /// Those carrying this label.
    Label(String),
    /// Those whose head branch starts with this (`patchloop/`).
    HeadPrefix(String),
}

/// A forge hosting one repository.
pub trait Forge: Send + Sync {
    fn kind(&self) -> ForgeKind;

    /// The open pull request whose head is `head_branch`, if any: a re-run
    /// updates it instead of opening another.
    fn find_open(&self, head_branch: &str) -> Result<Option<PullRequest>, ForgeError>;

    /// Open a pull request and label it. An open one for the same head is
    /// [`ForgeError::AlreadyExists`].
    fn open_pull_request(&self, req: &PullRequestRequest) -> Result<PullRequest, ForgeError>;

    /// Change the title and/or body of pull request `number`.
    fn update_pull_request(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, ForgeError>;

    /// How many open pull requests match (the policy's limit on open patch
    /// pull requests).
    fn count_open(&self, filter: &OpenFilter) -> Result<usize, ForgeError>;

    /// Have the forge merge `pr` once its required checks pass
    /// (docs/forges.md says what each forge does).
    fn enable_automerge(&self, pr: &PullRequest) -> Result<(), ForgeError>;
}

/// What [`upsert_pull_request`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    pub pr: PullRequest,
    /// True when a new pull request was opened, false when an open one
    /// was updated.
    pub created: bool,
}

/// Open `req`, or update the title and body of the open pull request for
/// the same head branch. A pull request opened by someone else between the
/// look-up and the create ([`ForgeError::AlreadyExists`]) is updated too.
pub fn upsert_pull_request(
    forge: &dyn Forge,
    req: &PullRequestRequest,
) -> Result<Upserted, ForgeError> {
    let update = PullRequestUpdate {
        title: Some(req.title.clone()),
        body: Some(req.body.clone()),
        draft: req.draft,
    };
    if let Some(open) = forge.find_open(&req.head)? {
        let pr = forge.update_pull_request(open.number, &update)?;
        return Ok(Upserted { pr, created: false });
    }
    match forge.open_pull_request(req) {
        Ok(pr) => Ok(Upserted { pr, created: true }),
        Err(err @ ForgeError::AlreadyExists { .. }) => match forge.find_open(&req.head)? {
            Some(open) => {
                let pr = forge.update_pull_request(open.number, &update)?;
                Ok(Upserted { pr, created: false })
            }
            None => Err(err),
        },
        Err(e) => Err(e),
    }
}

/// The JSON of a title/body update: `title` as `title_of` writes it, the
/// body under `body_key`, absent fields left out.
pub(crate) fn update_json(
    update: &PullRequestUpdate,
    body_key: &str,
    title_of: impl Fn(&str) -> String,
) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    if let Some(t) = &update.title {
        body.insert("title".into(), title_of(t).into());
    }
    if let Some(b) = &update.body {
        body.insert(body_key.into(), b.clone().into());
    }
    serde_json::Value::Object(body)
}

/// Whether to go on enabling auto-merge of a pull request in `state`:
/// open yes, merged no (nothing to do), closed is a conflict.
pub(crate) fn automerge_wanted(state: PrState, url: &str, name: &str) -> Result<bool, ForgeError> {
    match state {
        PrState::Open => Ok(true),
        PrState::Merged => Ok(false),
        PrState::Closed => Err(ForgeError::Conflict {
            url: url.to_string(),
            message: format!("{name} is closed"),
        }),
    }
}

/// Does a pull request with this head branch and labels pass `filter`?
pub(crate) fn filter_matches<'a>(
    filter: &OpenFilter,
    head: &str,
    mut labels: impl Iterator<Item = &'a str>,
) -> bool {
    match filter {
        OpenFilter::Label(l) => labels.any(|x| x == l),
        OpenFilter::HeadPrefix(pre) => head.starts_with(pre.as_str()),
    }
}
