//! Which forge and repository a git remote URL names, and the API to use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{ClientOptions, Forge, ForgeError, GitHub, GitLab, Gitea, Token};

/// The forge software.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    #[serde(rename = "github")]
    GitHub,
    #[serde(rename = "gitlab")]
    GitLab,
    /// Gitea and Forgejo (the same API).
    #[serde(alias = "forgejo")]
    Gitea,
}

impl ForgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "github",
            ForgeKind::GitLab => "gitlab",
            ForgeKind::Gitea => "gitea",
        }
    }

    /// The environment variable the token is read from by default.
    pub fn default_token_env(self) -> &'static str {
        match self {
            ForgeKind::GitHub => "GITHUB_TOKEN",
            ForgeKind::GitLab => "GITLAB_TOKEN",
            ForgeKind::Gitea => "GITEA_TOKEN",
        }
    }
}

impl fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ForgeKind {
    type Err = String;

    /// `github`, `gitlab`, `gitea` or `forgejo`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "github" => Ok(ForgeKind::GitHub),
            "gitlab" => Ok(ForgeKind::GitLab),
            "gitea" | "forgejo" => Ok(ForgeKind::Gitea),
            other => Err(format!(
                "unknown forge kind {other:?} (expected github, gitlab, gitea or forgejo)"
            )),
        }
    }
}

/// A git remote URL, taken apart. User names and passwords are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteUrl {
    /// `https`, `http`, `ssh`, `git`, or `scp` for `[user@]host:path`.
    pub scheme: String,
    /// Lower-case host name (IPv6 addresses in brackets).
    pub host: String,
    pub port: Option<u16>,
    /// The repository path without leading or trailing `/` nor `.git`.
    pub path: String,
}

impl RemoteUrl {
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').collect()
    }

    fn is_web(&self) -> bool {
        self.scheme == "https" || self.scheme == "http"
    }

    /// `scheme://host[:port]` of the forge's web server: the remote's own
    /// for http(s) remotes, `https://host` for the others (an SSH port is
    /// not the web server's).
    pub fn web_origin(&self) -> String {
        if self.is_web() {
            match self.port {
                Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
                None => format!("{}://{}", self.scheme, self.host),
            }
        } else {
            format!("https://{}", self.host)
        }
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.scheme.as_str(), self.port) {
            ("scp", _) => write!(f, "{}:{}", self.host, self.path),
            (s, Some(p)) => write!(f, "{s}://{}:{p}/{}", self.host, self.path),
            (s, None) => write!(f, "{s}://{}/{}", self.host, self.path),
        }
    }
}

/// `remote` with any user name and password of a `scheme://` URL hidden,
/// for messages.
fn redact_userinfo(remote: &str) -> String {
    let Some(i) = remote.find("://") else {
        return remote.to_string();
    };
    let rest = &remote[i + 3..];
    let auth_end = rest.find('/').unwrap_or(rest.len());
    match rest[..auth_end].rfind('@') {
        Some(at) => format!("{}***@{}", &remote[..i + 3], &rest[at + 1..]),
        None => remote.to_string(),
    }
}

/// Take a git remote URL apart: `https://host[:port]/path`, `http://`,
/// `ssh://[user@]host[:port]/path`, `git://`, `git+ssh://`, and the scp
/// form `[user@]host:path`. Local paths and `file://` are errors.
pub fn parse_remote(remote: &str) -> Result<RemoteUrl, ForgeError> {
    let s = remote.trim();
    let err = |message: &str| ForgeError::Config {
        remote: redact_userinfo(s),
        message: message.to_string(),
    };
    if s.is_empty() {
        return Err(err("empty remote URL"));
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(err("white space or control characters in the remote URL"));
    }
    let (scheme, hostport, path) = if let Some(i) = s.find("://") {
        let scheme = s[..i].to_ascii_lowercase();
        let scheme = match scheme.as_str() {
            "https" | "http" | "ssh" | "git" => scheme,
            "git+ssh" | "ssh+git" => "ssh".to_string(),
            "file" => return Err(err("a local repository, not a forge")),
            _ => return Err(err("unsupported URL scheme")),
        };
        let rest = &s[i + 3..];
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        (scheme, hostport, path)
    } else {
        let Some((before, path)) = s.split_once(':') else {
            return Err(err("not a remote URL (a local path?)"));
        };
        if before.is_empty() || before.contains('/') || before.contains('\\') {
            return Err(err("not a remote URL (a local path?)"));
        }
        let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
        if host.len() == 1 && path.starts_with('\\') {
            return Err(err("not a remote URL (a local path?)"));
        }
        ("scp".to_string(), host, path)
    };
    let (host, port) = split_host_port(hostport).ok_or_else(|| err("bad host or port"))?;
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    if path.is_empty() {
        return Err(err("no repository path"));
    }
    if path
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(err("empty, `.` or `..` path segment"));
    }
    Ok(RemoteUrl {
        scheme,
        host,
        port,
        path: path.to_string(),
    })
}

fn split_host_port(hp: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = hp.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        (format!("[{h}]"), after.strip_prefix(':'))
    } else {
        let (h, p) = match hp.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        };
        if h.is_empty()
            || !h
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return None;
        }
        (h.to_ascii_lowercase(), p)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().ok()?),
    };
    Some((host, port))
}

/// What the user set explicitly; everything else comes from the remote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoteOverrides {
    /// The forge, when the host name does not tell (self-hosted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ForgeKind>,
    /// The API base URL (`https://git.example.com/api/v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The environment variable holding the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

/// The forge and repository `patchloop apply` opens pull requests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgeConfig {
    pub kind: ForgeKind,
    /// Host name of the forge (from the remote).
    pub host: String,
    /// GitHub and Gitea: the owner (user or organization); GitLab: the
    /// namespace (`group/subgroup`).
    pub owner: String,
    pub repo: String,
    /// The REST API base URL, without trailing slash.
    pub api_url: String,
    /// The environment variable holding the token.
    pub token_env: String,
}

impl ForgeConfig {
    /// Tell the forge from the remote's host, unless `overrides.kind` says:
    /// `github.com` and hosts with `github` in the name are GitHub
    /// (Enterprise Server: API at `/api/v3`), `gitlab.com` and hosts with
    /// `gitlab` are GitLab, `codeberg.org` and hosts with `gitea`,
    /// `forgejo` or `codeberg` are Gitea/Forgejo. Others need
    /// `overrides.kind`.
    pub fn from_remote(
        remote: &str,
        overrides: &RemoteOverrides,
    ) -> Result<ForgeConfig, ForgeError> {
        let url = parse_remote(remote)?;
        let err = |message: String| ForgeError::Config {
            remote: url.to_string(),
            message,
        };
        let host = match url.host.as_str() {
            "www.github.com" | "ssh.github.com" => "github.com".to_string(),
            "altssh.gitlab.com" => "gitlab.com".to_string(),
            h => h.to_string(),
        };
        let kind = match overrides.kind.or_else(|| detect(&host)) {
            Some(k) => k,
            None => {
                return Err(err(format!(
                    "cannot tell which forge {host} runs; set the forge kind (github, gitlab, gitea or forgejo)"
                )));
            }
        };
        let segs = url.segments();
        let origin = if host == url.host {
            url.web_origin()
        } else {
            format!("https://{host}")
        };
        let (owner, repo, derived_api) = match kind {
            ForgeKind::GitHub => {
                if segs.len() != 2 {
                    return Err(err(format!(
                        "expected owner/repo in the path, found {:?}",
                        url.path
                    )));
                }
                let api = if host == "github.com" {
                    GitHub::DEFAULT_API.to_string()
                } else {
                    format!("{origin}/api/v3")
                };
                (segs[0].to_string(), segs[1].to_string(), api)
            }
            ForgeKind::GitLab => {
                if segs.len() < 2 {
                    return Err(err(format!(
                        "expected namespace/project in the path, found {:?}",
                        url.path
                    )));
                }
                let (ns, repo) = url.path.rsplit_once('/').unwrap_or_default();
                (ns.to_string(), repo.to_string(), format!("{origin}/api/v4"))
            }
            ForgeKind::Gitea => {
                if segs.len() < 2 {
                    return Err(err(format!(
                        "expected owner/repo in the path, found {:?}",
                        url.path
                    )));
                }
                let n = segs.len();
                // Leading segments are a sub-path install (`/git/o/r`),
                // which only an http(s) remote shows.
                let prefix = if url.is_web() && n > 2 {
                    format!("/{}", segs[..n - 2].join("/"))
                } else {
                    String::new()
                };
                (
                    segs[n - 2].to_string(),
                    segs[n - 1].to_string(),
                    format!("{origin}{prefix}/api/v1"),
                )
            }
        };
        let api_url = match &overrides.api_url {
            Some(a) if !a.trim().is_empty() => a.trim().trim_end_matches('/').to_string(),
            _ => derived_api,
        };
        let token_env = match &overrides.token_env {
            Some(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => kind.default_token_env().to_string(),
        };
        Ok(ForgeConfig {
            kind,
            host,
            owner,
            repo,
            api_url,
            token_env,
        })
    }

    /// `owner/repo` (GitLab: `namespace/project`).
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// The client, with the token from [`ForgeConfig::token_env`].
    pub fn connect(&self, opts: &ClientOptions) -> Result<Box<dyn Forge>, ForgeError> {
        Ok(self.connect_with_token(Token::from_env(&self.token_env)?, opts))
    }

    /// The client, with `token`.
    pub fn connect_with_token(&self, token: Token, opts: &ClientOptions) -> Box<dyn Forge> {
        match self.kind {
            ForgeKind::GitHub => Box::new(GitHub::new(
                &self.api_url,
                &self.owner,
                &self.repo,
                token,
                opts,
            )),
            ForgeKind::GitLab => {
                Box::new(GitLab::new(&self.api_url, &self.full_name(), token, opts))
            }
            ForgeKind::Gitea => Box::new(Gitea::new(
                &self.api_url,
                &self.owner,
                &self.repo,
                token,
                opts,
            )),
        }
    }
}

fn detect(host: &str) -> Option<ForgeKind> {
    match host {
        "github.com" => return Some(ForgeKind::GitHub),
        "gitlab.com" => return Some(ForgeKind::GitLab),
        "codeberg.org" => return Some(ForgeKind::Gitea),
        _ => {}
    }
    if host.contains("github") {
        Some(ForgeKind::GitHub)
    } else if host.contains("gitlab") {
        Some(ForgeKind::GitLab)
    } else if ["gitea", "forgejo", "codeberg"]
        .iter()
        .any(|n| host.contains(n))
    {
        Some(ForgeKind::Gitea)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_in_errors() {
        let e = parse_remote("https://user:s3cret@github.com/").unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://***@github.com/"), "{shown}");
    }

    #[test]
    fn kinds_parse() {
        assert_eq!("Forgejo".parse::<ForgeKind>(), Ok(ForgeKind::Gitea));
        assert_eq!("github".parse::<ForgeKind>(), Ok(ForgeKind::GitHub));
        assert!("bitbucket".parse::<ForgeKind>().is_err());
        let k: ForgeKind = serde_json::from_str("\"forgejo\"").unwrap();
        assert_eq!(k, ForgeKind::Gitea);
    }
}
