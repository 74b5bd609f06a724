//! GitHub (github.com and Enterprise Server) through the REST API v3,
//! and GraphQL for auto-merge (REST has no endpoint for it).

use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Auth, Http, MAX_PAGES, segment, trim_base};
use super::{
    ClientOptions, Forge, ForgeError, ForgeKind, MergeMethod, OpenFilter, PrState, PullRequest,
    PullRequestRequest, PullRequestUpdate, Token, automerge_wanted, filter_matches, update_json,
};

const PER_PAGE: usize = 100;

/// A GitHub repository.
#[derive(Debug)]
pub struct GitHub {
    http: Http,
    api: String,
    graphql: String,
    owner: String,
    repo: String,
    merge_method: MergeMethod,
}

#[derive(Deserialize)]
struct GhRef {
    #[serde(rename = "ref")]
    name: String,
    #[serde(default)]
    sha: String,
}

#[derive(Deserialize)]
struct GhLabel {
    name: String,
}

#[derive(Deserialize)]
struct GhPull {
    number: u64,
    html_url: String,
    state: String,
    #[serde(default)]
    merged_at: Option<String>,
    #[serde(default)]
    merged: Option<bool>,
    #[serde(default)]
    node_id: Option<String>,
    head: GhRef,
    #[serde(default)]
    labels: Vec<GhLabel>,
}

impl GhPull {
    fn to_pr(&self) -> PullRequest {
        let state = if self.merged_at.is_some() || self.merged == Some(true) {
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

impl GitHub {
    pub const DEFAULT_API: &'static str = "https://api.github.com";
    pub const TOKEN_ENV: &'static str = "GITHUB_TOKEN";

    /// A client for `owner/repo` at `api_url` ([`GitHub::DEFAULT_API`], or
    /// `https://HOST/api/v3` for Enterprise Server). The GraphQL endpoint
    /// is derived: `…/api/v3` → `…/api/graphql`, otherwise `…/graphql`.
    pub fn new(
        api_url: &str,
        owner: &str,
        repo: &str,
        token: Token,
        opts: &ClientOptions,
    ) -> GitHub {
        let api = trim_base(api_url);
        let graphql = match api.strip_suffix("/api/v3") {
            Some(root) => format!("{root}/api/graphql"),
            None => format!("{api}/graphql"),
        };
        let http = Http::new(
            Auth {
                header: "Authorization",
                prefix: "Bearer ",
                token,
            },
            vec![
                ("Accept", "application/vnd.github+json"),
                ("X-GitHub-Api-Version", "2022-11-28"),
            ],
            opts,
        );
        GitHub {
            http,
            api,
            graphql,
            owner: owner.to_string(),
            repo: repo.to_string(),
            merge_method: opts.merge_method,
        }
    }

    /// Use another GraphQL endpoint.
    pub fn with_graphql_url(mut self, url: &str) -> GitHub {
        self.graphql = trim_base(url);
        self
    }

    fn repo_url(&self, rest: &str) -> String {
        format!(
            "{}/repos/{}/{}{rest}",
            self.api,
            segment(&self.owner),
            segment(&self.repo)
        )
    }

    fn get_pull(&self, number: u64) -> Result<GhPull, ForgeError> {
        let url = self.repo_url(&format!("/pulls/{number}"));
        self.http.call("GET", &url, &[], None)
    }

    fn graphql(&self, query: &str, variables: Value) -> Result<Value, ForgeError> {
        let body = json!({ "query": query, "variables": variables });
        let reply = self.http.send("POST", &self.graphql, &[], Some(&body))?;
        let v: Value = reply.json()?;
        if let Some(Value::Array(errors)) = v.get("errors")
            && !errors.is_empty()
        {
            let kind = errors[0].get("type").and_then(Value::as_str).unwrap_or("");
            let message = errors
                .iter()
                .filter_map(|e| e.get("message").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("; ");
            let message = self.http.clean(&message);
            let url = reply.url;
            return Err(match kind {
                "FORBIDDEN" => ForgeError::Unauthorized {
                    url,
                    status: 200,
                    message,
                },
                "NOT_FOUND" => ForgeError::NotFound { url, message },
                "RATE_LIMITED" => ForgeError::RateLimited {
                    url,
                    reset_at: None,
                    retry_after_secs: None,
                    message,
                },
                _ => ForgeError::Refused { url, message },
            });
        }
        Ok(v)
    }
}

impl Forge for GitHub {
    fn kind(&self) -> ForgeKind {
        ForgeKind::GitHub
    }

    fn find_open(&self, head_branch: &str) -> Result<Option<PullRequest>, ForgeError> {
        let head = format!("{}:{head_branch}", self.owner);
        let pulls: Vec<GhPull> = self.http.call(
            "GET",
            &self.repo_url("/pulls"),
            &[("state", "open"), ("head", &head), ("per_page", "10")],
            None,
        )?;
        Ok(pulls
            .iter()
            .find(|p| p.head.name == head_branch && p.state == "open")
            .map(GhPull::to_pr))
    }

    fn open_pull_request(&self, req: &PullRequestRequest) -> Result<PullRequest, ForgeError> {
        let body = json!({
            "title": req.title,
            "body": req.body,
            "head": req.head,
            "base": req.base,
            "draft": req.draft,
        });
        let pull: GhPull = self
            .http
            .call("POST", &self.repo_url("/pulls"), &[], Some(&body))?;
        if !req.labels.is_empty() {
            // Pull requests are issues for labels; unknown labels are
            // created by GitHub.
            let labels = json!({ "labels": req.labels });
            self.http.send(
                "POST",
                &self.repo_url(&format!("/issues/{}/labels", pull.number)),
                &[],
                Some(&labels),
            )?;
        }
        Ok(pull.to_pr())
    }

    fn update_pull_request(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, ForgeError> {
        let body = update_json(update, "body", str::to_string);
        let pull: GhPull = self.http.call(
            "PATCH",
            &self.repo_url(&format!("/pulls/{number}")),
            &[],
            Some(&body),
        )?;
        Ok(pull.to_pr())
    }

    fn count_open(&self, filter: &OpenFilter) -> Result<usize, ForgeError> {
        let per_page = PER_PAGE.to_string();
        let mut count = 0;
        for page in 1..=MAX_PAGES {
            let page = page.to_string();
            let pulls: Vec<GhPull> = self.http.call(
                "GET",
                &self.repo_url("/pulls"),
                &[("state", "open"), ("per_page", &per_page), ("page", &page)],
                None,
            )?;
            count += pulls
                .iter()
                .filter(|p| {
                    filter_matches(
                        filter,
                        &p.head.name,
                        p.labels.iter().map(|l| l.name.as_str()),
                    )
                })
                .count();
            if pulls.len() < PER_PAGE {
                break;
            }
        }
        Ok(count)
    }

    /// `enablePullRequestAutoMerge` (GraphQL) pinned to the current head
    /// commit. GitHub refuses it for a pull request that can be merged
    /// right now ("clean status": required checks passed, or none
    /// required); then the pull request is merged through REST, pinned to
    /// the same commit.
    fn enable_automerge(&self, pr: &PullRequest) -> Result<(), ForgeError> {
        let pull = self.get_pull(pr.number)?;
        let url = self.repo_url(&format!("/pulls/{}", pr.number));
        if !automerge_wanted(
            pull.to_pr().state,
            &url,
            &format!("pull request #{}", pr.number),
        )? {
            return Ok(());
        }
        let Some(node_id) = pull.node_id.clone() else {
            return Err(ForgeError::InvalidResponse {
                url,
                message: "pull request has no node_id".to_string(),
            });
        };
        let method = match self.merge_method {
            MergeMethod::Merge => "MERGE",
            MergeMethod::Squash => "SQUASH",
            MergeMethod::Rebase => "REBASE",
        };
        let mut vars = json!({ "id": node_id, "method": method });
        if !pull.head.sha.is_empty() {
            vars["oid"] = json!(pull.head.sha);
        }
        let query = "mutation($id: ID!, $method: PullRequestMergeMethod!, $oid: GitObjectID) {\
             enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method, expectedHeadOid: $oid}) {\
             pullRequest { number } } }";
        match self.graphql(query, vars) {
            Ok(_) => Ok(()),
            Err(ForgeError::Refused { message, .. })
                if message.to_ascii_lowercase().contains("clean status") =>
            {
                let mut body = json!({ "merge_method": self.merge_method_rest() });
                if !pull.head.sha.is_empty() {
                    body["sha"] = json!(pull.head.sha);
                }
                self.http.send(
                    "PUT",
                    &self.repo_url(&format!("/pulls/{}/merge", pr.number)),
                    &[],
                    Some(&body),
                )?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

impl GitHub {
    fn merge_method_rest(&self) -> &'static str {
        match self.merge_method {
            MergeMethod::Merge => "merge",
            MergeMethod::Squash => "squash",
            MergeMethod::Rebase => "rebase",
        }
    }
}
