//! Gitea and Forgejo through their REST API v1 (`/api/v1`).

use serde::Deserialize;
use serde_json::json;

use super::http::{Auth, Http, MAX_PAGES, segment, trim_base};
use super::{
    ClientOptions, Forge, ForgeError, ForgeKind, MergeMethod, OpenFilter, PrState, PullRequest,
    PullRequestRequest, PullRequestUpdate, Token, automerge_wanted, filter_matches, update_json,
};

/// Gitea's default (and usual maximum) page size.
const PAGE_LIMIT: usize = 50;
/// Gitea marks work-in-progress pull requests by this title prefix.
const WIP_PREFIX: &str = "WIP: ";
/// Color of labels the client creates.
const LABEL_COLOR: &str = "#d73a4a";

/// A Gitea or Forgejo repository.
#[derive(Debug)]
pub struct Gitea {
    http: Http,
    api: String,
    owner: String,
    repo: String,
    merge_method: MergeMethod,
}

#[derive(Deserialize)]
struct GtBranch {
    #[serde(rename = "ref")]
    name: String,
    #[serde(default)]
    sha: String,
}

#[derive(Deserialize)]
struct GtLabel {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct GtPull {
    number: u64,
    html_url: String,
    state: String,
    #[serde(default)]
    merged: bool,
    head: GtBranch,
    #[serde(default)]
    labels: Vec<GtLabel>,
}

impl GtPull {
    fn to_pr(&self) -> PullRequest {
        let state = if self.merged {
            PrState::Merged
        } else if self.state == "open" {
            PrState::Open
        } else {
            PrState::Closed
        };
        PullRequest {
            number: self.number,
            url: self.html_url.clone(),
            state,
        }
    }
}

fn wip_title(title: &str, draft: bool) -> String {
    let t = title.trim();
    let lower = t.to_ascii_lowercase();
    if draft && !lower.starts_with("wip:") && !lower.starts_with("[wip]") {
        format!("{WIP_PREFIX}{t}")
    } else {
        t.to_string()
    }
}

impl Gitea {
    pub const TOKEN_ENV: &'static str = "GITEA_TOKEN";

    /// A client for `owner/repo` at `api_url`, which has no default:
    /// `https://HOST/api/v1` (`https://codeberg.org/api/v1`). The token
    /// goes in `Authorization: token …`.
    pub fn new(
        api_url: &str,
        owner: &str,
        repo: &str,
        token: Token,
        opts: &ClientOptions,
    ) -> Gitea {
        let http = Http::new(
            Auth {
                header: "Authorization",
                prefix: "token ",
                token,
            },
            vec![("Accept", "application/json")],
            opts,
        );
        Gitea {
            http,
            api: trim_base(api_url),
            owner: owner.to_string(),
            repo: repo.to_string(),
            merge_method: opts.merge_method,
        }
    }

    fn repo_url(&self, rest: &str) -> String {
        format!(
            "{}/repos/{}/{}{rest}",
            self.api,
            segment(&self.owner),
            segment(&self.repo)
        )
    }

    /// Every page of `GET url` (at most [`MAX_PAGES`]).
    fn pages<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ForgeError> {
        let limit = PAGE_LIMIT.to_string();
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let page = page.to_string();
            let mut q = query.to_vec();
            q.extend_from_slice(&[("page", page.as_str()), ("limit", limit.as_str())]);
            let items: Vec<T> = self.http.call("GET", url, &q, None)?;
            let n = items.len();
            all.extend(items);
            if n < PAGE_LIMIT {
                break;
            }
        }
        Ok(all)
    }

    fn open_pulls(&self) -> Result<Vec<GtPull>, ForgeError> {
        self.pages(&self.repo_url("/pulls"), &[("state", "open")])
    }

    /// Label ids for `names`, creating the labels the repository lacks.
    fn label_ids(&self, names: &[String]) -> Result<Vec<i64>, ForgeError> {
        let existing: Vec<GtLabel> = self.pages(&self.repo_url("/labels"), &[])?;
        let mut ids = Vec::new();
        for name in names {
            if let Some(l) = existing.iter().find(|l| &l.name == name) {
                ids.push(l.id);
                continue;
            }
            let body = json!({
                "name": name,
                "color": LABEL_COLOR,
                "description": "created by patchloop",
            });
            let created: GtLabel =
                self.http
                    .call("POST", &self.repo_url("/labels"), &[], Some(&body))?;
            ids.push(created.id);
        }
        Ok(ids)
    }
}

impl Forge for Gitea {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitea
    }

    /// Gitea's list has no head filter (before 1.17 there is no
    /// base/head look-up either): open pull requests are paged through.
    fn find_open(&self, head_branch: &str) -> Result<Option<PullRequest>, ForgeError> {
        Ok(self
            .open_pulls()?
            .iter()
            .find(|p| p.head.name == head_branch)
            .map(GtPull::to_pr))
    }

    fn open_pull_request(&self, req: &PullRequestRequest) -> Result<PullRequest, ForgeError> {
        let mut body = json!({
            "head": req.head,
            "base": req.base,
            "title": wip_title(&req.title, req.draft),
            "body": req.body,
        });
        if !req.labels.is_empty() {
            body["labels"] = json!(self.label_ids(&req.labels)?);
        }
        let pull: GtPull = self
            .http
            .call("POST", &self.repo_url("/pulls"), &[], Some(&body))?;
        Ok(pull.to_pr())
    }

    fn update_pull_request(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, ForgeError> {
        let body = update_json(update, "body", |t| wip_title(t, update.draft));
        let pull: GtPull = self.http.call(
            "PATCH",
            &self.repo_url(&format!("/pulls/{number}")),
            &[],
            Some(&body),
        )?;
        Ok(pull.to_pr())
    }

    fn count_open(&self, filter: &OpenFilter) -> Result<usize, ForgeError> {
        Ok(self
            .open_pulls()?
            .iter()
            .filter(|p| {
                filter_matches(
                    filter,
                    &p.head.name,
                    p.labels.iter().map(|l| l.name.as_str()),
                )
            })
            .count())
    }

    /// `POST …/pulls/{index}/merge` with `merge_when_checks_succeed`,
    /// pinned to the current head commit (`head_commit_id`). Gitea merges
    /// at once when the checks have already passed.
    fn enable_automerge(&self, pr: &PullRequest) -> Result<(), ForgeError> {
        let url = self.repo_url(&format!("/pulls/{}", pr.number));
        let pull: GtPull = self.http.call("GET", &url, &[], None)?;
        if !automerge_wanted(
            pull.to_pr().state,
            &url,
            &format!("pull request #{}", pr.number),
        )? {
            return Ok(());
        }
        let method = match self.merge_method {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        };
        let mut body = json!({
            "Do": method,
            "merge_when_checks_succeed": true,
        });
        if !pull.head.sha.is_empty() {
            body["head_commit_id"] = json!(pull.head.sha);
        }
        self.http.send(
            "POST",
            &self.repo_url(&format!("/pulls/{}/merge", pr.number)),
            &[],
            Some(&body),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wip() {
        assert_eq!(wip_title("fix", true), "WIP: fix");
        assert_eq!(wip_title("[WIP] fix", true), "[WIP] fix");
        assert_eq!(wip_title("fix", false), "fix");
    }
}
