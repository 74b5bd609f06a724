//! GitLab (gitlab.com and self-managed) through the REST API v4: merge
//! requests of one project.

use serde::Deserialize;
use serde_json::json;

use super::http::{Auth, Http, MAX_PAGES, segment, trim_base};
use super::{
    ClientOptions, Forge, ForgeError, ForgeKind, MergeMethod, OpenFilter, PrState, PullRequest,
    PullRequestRequest, PullRequestUpdate, Token, automerge_wanted, update_json,
};

const PER_PAGE: usize = 100;
/// GitLab marks drafts by this title prefix.
const DRAFT_PREFIX: &str = "Draft: ";

/// A GitLab project.
#[derive(Debug)]
pub struct GitLab {
    http: Http,
    api: String,
    /// The project id, or its full path URL-encoded as one segment.
    project: String,
    merge_method: MergeMethod,
}

#[derive(Deserialize)]
struct GlMr {
    iid: u64,
    web_url: String,
    state: String,
    source_branch: String,
    #[serde(default)]
    sha: Option<String>,
}

impl GlMr {
    fn to_pr(&self) -> PullRequest {
        let state = match self.state.as_str() {
            "merged" => PrState::Merged,
            "closed" => PrState::Closed,
            // `opened`, and `locked` (being merged)
            _ => PrState::Open,
        };
        PullRequest {
            number: self.iid,
            url: self.web_url.clone(),
            state,
        }
    }
}

fn draft_title(title: &str, draft: bool) -> String {
    let t = title.trim();
    if draft && !t.to_ascii_lowercase().starts_with("draft:") {
        format!("{DRAFT_PREFIX}{t}")
    } else {
        t.to_string()
    }
}

impl GitLab {
    pub const DEFAULT_API: &'static str = "https://gitlab.com/api/v4";
    pub const TOKEN_ENV: &'static str = "GITLAB_TOKEN";

    /// A client for `project` (numeric id, or full path such as
    /// `group/sub/repo`) at `api_url` (`https://HOST/api/v4`). The token
    /// goes in the `PRIVATE-TOKEN` header.
    pub fn new(api_url: &str, project: &str, token: Token, opts: &ClientOptions) -> GitLab {
        let http = Http::new(
            Auth {
                header: "PRIVATE-TOKEN",
                prefix: "",
                token,
            },
            vec![("Accept", "application/json")],
            opts,
        );
        GitLab {
            http,
            api: trim_base(api_url),
            project: segment(project.trim().trim_matches('/')),
            merge_method: opts.merge_method,
        }
    }

    fn mrs_url(&self, rest: &str) -> String {
        format!(
            "{}/projects/{}/merge_requests{rest}",
            self.api, self.project
        )
    }

    fn list(&self, extra: &[(&str, &str)]) -> Result<Vec<GlMr>, ForgeError> {
        let per_page = PER_PAGE.to_string();
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let page = page.to_string();
            let mut query = vec![
                ("state", "opened"),
                ("per_page", &per_page),
                ("page", &page),
            ];
            query.extend_from_slice(extra);
            let reply = self.http.send("GET", &self.mrs_url(""), &query, None)?;
            let mrs: Vec<GlMr> = reply.json()?;
            let n = mrs.len();
            all.extend(mrs);
            let last = match reply.next_page.as_deref() {
                Some(next) => next.trim().is_empty(),
                None => n < PER_PAGE,
            };
            if last {
                break;
            }
        }
        Ok(all)
    }
}

impl Forge for GitLab {
    fn kind(&self) -> ForgeKind {
        ForgeKind::GitLab
    }

    fn find_open(&self, head_branch: &str) -> Result<Option<PullRequest>, ForgeError> {
        let mrs: Vec<GlMr> = self.http.call(
            "GET",
            &self.mrs_url(""),
            &[("state", "opened"), ("source_branch", head_branch)],
            None,
        )?;
        Ok(mrs
            .iter()
            .find(|m| m.source_branch == head_branch)
            .map(GlMr::to_pr))
    }

    fn open_pull_request(&self, req: &PullRequestRequest) -> Result<PullRequest, ForgeError> {
        let mut body = json!({
            "source_branch": req.head,
            "target_branch": req.base,
            "title": draft_title(&req.title, req.draft),
            "description": req.body,
        });
        if !req.labels.is_empty() {
            // A comma-separated list; GitLab creates unknown labels.
            let labels: Vec<String> = req.labels.iter().map(|l| l.replace(',', " ")).collect();
            body["labels"] = json!(labels.join(","));
        }
        let mr: GlMr = self
            .http
            .call("POST", &self.mrs_url(""), &[], Some(&body))?;
        Ok(mr.to_pr())
    }

    fn update_pull_request(
        &self,
        number: u64,
        update: &PullRequestUpdate,
    ) -> Result<PullRequest, ForgeError> {
        let body = update_json(update, "description", |t| draft_title(t, update.draft));
        let mr: GlMr = self.http.call(
            "PUT",
            &self.mrs_url(&format!("/{number}")),
            &[],
            Some(&body),
        )?;
        Ok(mr.to_pr())
    }

    fn count_open(&self, filter: &OpenFilter) -> Result<usize, ForgeError> {
        Ok(match filter {
            OpenFilter::Label(l) => self.list(&[("labels", l.as_str())])?.len(),
            OpenFilter::HeadPrefix(pre) => self
                .list(&[])?
                .iter()
                .filter(|m| m.source_branch.starts_with(pre.as_str()))
                .count(),
        })
    }

    /// `PUT …/merge` with `auto_merge` (GitLab 17.11+) and the older
    /// `merge_when_pipeline_succeeds`, pinned to the current head `sha`.
    /// GitLab merges at once when no pipeline runs for the branch.
    fn enable_automerge(&self, pr: &PullRequest) -> Result<(), ForgeError> {
        let url = self.mrs_url(&format!("/{}", pr.number));
        let mr: GlMr = self.http.call("GET", &url, &[], None)?;
        if !automerge_wanted(
            mr.to_pr().state,
            &url,
            &format!("merge request !{}", pr.number),
        )? {
            return Ok(());
        }
        let mut body = json!({
            "auto_merge": true,
            "merge_when_pipeline_succeeds": true,
            "squash": self.merge_method == MergeMethod::Squash,
        });
        if let Some(sha) = mr.sha.filter(|s| !s.is_empty()) {
            body["sha"] = json!(sha);
        }
        self.http.send(
            "PUT",
            &self.mrs_url(&format!("/{}/merge", pr.number)),
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
    fn drafts() {
        assert_eq!(draft_title("fix", true), "Draft: fix");
        assert_eq!(draft_title("Draft: fix", true), "Draft: fix");
        assert_eq!(draft_title("fix", false), "fix");
    }
}
