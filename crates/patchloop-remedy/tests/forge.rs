//! Forge clients against a loopback API server: the requests each client
//! sends (method, path, auth header, JSON body), the existing-PR path,
//! already-exists and error handling, auto-merge per forge; remote URL
//! parsing; pull-request titles and bodies.

mod support;

use patchloop_model::{Finding, PlanGroup};
use patchloop_remedy::evidence::{TestEvidence, TestOutcome};
use patchloop_remedy::forge::{
    ClientOptions, Forge, ForgeConfig, ForgeError, ForgeKind, GitHub, GitLab, Gitea, MergeMethod,
    OpenFilter, PrState, PullRequest, PullRequestRequest, PullRequestUpdate, RemoteOverrides,
    Token, parse_remote, pr_body, pr_title, upsert_pull_request,
};
use serde_json::json;
use support::{Reply, Server};

const TOKEN: &str = "ghp_S3cretTokenValue1234567890";

fn opts() -> ClientOptions {
    ClientOptions {
        timeout: std::time::Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

fn github(server: &Server) -> GitHub {
    GitHub::new(&server.base, "acme", "shop", Token::new(TOKEN), &opts())
}

fn gitlab(server: &Server) -> GitLab {
    GitLab::new(&server.base, "group/sub/shop", Token::new(TOKEN), &opts())
}

fn gitea(server: &Server) -> Gitea {
    Gitea::new(
        &format!("{}/api/v1", server.base),
        "acme",
        "shop",
        Token::new(TOKEN),
        &opts(),
    )
}

fn request(body: &str) -> PullRequestRequest {
    PullRequestRequest {
        title: "fix(security): bump express to 4.17.3 (GHSA-rv95-896h-c2vc, act)".into(),
        body: body.into(),
        head: "patchloop/express".into(),
        base: "main".into(),
        labels: vec!["security".into(), "patchloop".into()],
        draft: false,
    }
}

fn gh_pull(number: u64, head: &str, labels: &[&str]) -> serde_json::Value {
    json!({
        "number": number,
        "node_id": format!("PR_node{number}"),
        "html_url": format!("https://github.com/acme/shop/pull/{number}"),
        "state": "open",
        "merged_at": null,
        "draft": false,
        "head": {"ref": head, "sha": "abc123"},
        "labels": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
    })
}

fn gl_mr(iid: u64, branch: &str) -> serde_json::Value {
    json!({
        "id": 1000 + iid,
        "iid": iid,
        "web_url": format!("https://gitlab.example.com/group/sub/shop/-/merge_requests/{iid}"),
        "state": "opened",
        "source_branch": branch,
        "sha": "def456",
        "labels": ["patchloop"],
    })
}

fn gt_pull(number: u64, head: &str, labels: &[&str]) -> serde_json::Value {
    json!({
        "number": number,
        "html_url": format!("https://git.example.com/acme/shop/pulls/{number}"),
        "state": "open",
        "merged": false,
        "head": {"ref": head, "sha": "0123abcd"},
        "labels": labels.iter().enumerate().map(|(i, l)| json!({"id": i, "name": l})).collect::<Vec<_>>(),
    })
}

/// An open pull request as the caller knows it (auto-merge looks it up).
fn open_pr(number: u64) -> PullRequest {
    PullRequest {
        number,
        url: String::new(),
        state: PrState::Open,
    }
}

fn no_token_in(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_opens_and_labels_a_pull_request() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls",
        vec![Reply::json(200, json!([]))],
    );
    s.on(
        "POST",
        "/repos/acme/shop/pulls",
        vec![Reply::json(201, gh_pull(7, "patchloop/express", &[]))],
    );
    s.on(
        "POST",
        "/repos/acme/shop/issues/7/labels",
        vec![Reply::json(
            200,
            json!([{"name": "security"}, {"name": "patchloop"}]),
        )],
    );
    let gh = github(&s);
    let up = upsert_pull_request(&gh, &request("fixes GHSA-rv95-896h-c2vc; tests passed")).unwrap();
    assert!(up.created);
    assert_eq!(
        up.pr,
        PullRequest {
            number: 7,
            url: "https://github.com/acme/shop/pull/7".into(),
            state: PrState::Open
        }
    );

    let find = &s.requests_to("GET", "/repos/acme/shop/pulls")[0];
    assert_eq!(find.query["head"], "acme:patchloop/express");
    assert_eq!(find.query["state"], "open");

    let create = &s.requests_to("POST", "/repos/acme/shop/pulls")[0];
    assert_eq!(
        create.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(create.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(create.header("x-github-api-version"), Some("2022-11-28"));
    assert!(
        create
            .header("user-agent")
            .unwrap()
            .starts_with("patchloop/")
    );
    let b = create.json();
    assert_eq!(b["head"], "patchloop/express");
    assert_eq!(b["base"], "main");
    assert_eq!(b["draft"], false);
    assert!(
        b["title"]
            .as_str()
            .unwrap()
            .contains("bump express to 4.17.3")
    );
    assert!(b["body"].as_str().unwrap().contains("GHSA-rv95-896h-c2vc"));
    assert!(b["body"].as_str().unwrap().contains("passed"));

    let labels = &s.requests_to("POST", "/repos/acme/shop/issues/7/labels")[0];
    assert_eq!(labels.json()["labels"], json!(["security", "patchloop"]));
}

#[test]
fn github_updates_the_open_pull_request_instead_of_duplicating() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls",
        vec![Reply::json(
            200,
            json!([gh_pull(12, "patchloop/express", &[])]),
        )],
    );
    s.on(
        "PATCH",
        "/repos/acme/shop/pulls/12",
        vec![Reply::json(200, gh_pull(12, "patchloop/express", &[]))],
    );
    let gh = github(&s);
    let up = upsert_pull_request(&gh, &request("new body")).unwrap();
    assert!(!up.created);
    assert_eq!(up.pr.number, 12);
    assert!(s.requests_to("POST", "/repos/acme/shop/pulls").is_empty());
    let patch = &s.requests_to("PATCH", "/repos/acme/shop/pulls/12")[0];
    assert_eq!(patch.json()["body"], "new body");
    assert!(
        patch.json()["title"]
            .as_str()
            .unwrap()
            .starts_with("fix(security)")
    );
}

#[test]
fn github_already_exists_is_typed_and_upsert_recovers() {
    let s = Server::start();
    // Not there at the look-up, opened by someone else before the create.
    s.on(
        "GET",
        "/repos/acme/shop/pulls",
        vec![
            Reply::json(200, json!([])),
            Reply::json(200, json!([gh_pull(9, "patchloop/express", &[])])),
        ],
    );
    s.on(
        "POST",
        "/repos/acme/shop/pulls",
        vec![Reply::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "code": "custom",
                            "message": "A pull request already exists for acme:patchloop/express."}],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
            }),
        )],
    );
    s.on(
        "PATCH",
        "/repos/acme/shop/pulls/9",
        vec![Reply::json(200, gh_pull(9, "patchloop/express", &[]))],
    );
    let gh = github(&s);
    let err = gh.open_pull_request(&request("b")).unwrap_err();
    match &err {
        ForgeError::AlreadyExists { message, .. } => {
            assert!(
                message.contains("A pull request already exists"),
                "{message}"
            )
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let up = upsert_pull_request(&gh, &request("b")).unwrap();
    assert!(!up.created);
    assert_eq!(up.pr.number, 9);
    assert_eq!(s.requests_to("PATCH", "/repos/acme/shop/pulls/9").len(), 1);
}

#[test]
fn github_401_is_unauthorized_without_the_token() {
    let s = Server::start();
    s.on(
        "POST",
        "/repos/acme/shop/pulls",
        vec![Reply::json(
            401,
            // A hostile or buggy server echoing the credential back.
            json!({"message": format!("Bad credentials: Bearer {TOKEN}")}),
        )],
    );
    let gh = github(&s);
    let err = gh.open_pull_request(&request("b")).unwrap_err();
    match &err {
        ForgeError::Unauthorized {
            status, message, ..
        } => {
            assert_eq!(*status, 401);
            assert!(message.contains("Bad credentials"), "{message}");
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
    no_token_in(&err.to_string());
    no_token_in(&format!("{err:?}"));
    no_token_in(&format!("{gh:?}"));
    no_token_in(&format!("{:?}", Token::new(TOKEN)));
}

#[test]
fn github_rate_limits_carry_the_reset_time() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls",
        vec![
            Reply::json(
                403,
                json!({"message": "API rate limit exceeded for user ID 1."}),
            )
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", "1700000000"),
            Reply::json(
                429,
                json!({"message": "You have exceeded a secondary rate limit."}),
            )
            .header("retry-after", "60"),
            Reply::json(
                403,
                json!({"message": "Resource not accessible by integration"}),
            ),
        ],
    );
    let gh = github(&s);
    match gh.find_open("patchloop/x").unwrap_err() {
        ForgeError::RateLimited {
            reset_at,
            retry_after_secs,
            ..
        } => {
            assert_eq!(reset_at, Some(1_700_000_000));
            assert_eq!(retry_after_secs, None);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    let e = gh.find_open("patchloop/x").unwrap_err();
    assert!(matches!(
        e,
        ForgeError::RateLimited {
            retry_after_secs: Some(60),
            ..
        }
    ));
    assert!(e.to_string().contains("retry after 60 s"), "{e}");
    assert!(matches!(
        gh.find_open("patchloop/x").unwrap_err(),
        ForgeError::Unauthorized { status: 403, .. }
    ));
}

#[test]
fn github_counts_open_pull_requests_over_pages() {
    let s = Server::start();
    let page1: Vec<_> = (1..=100)
        .map(|n| {
            if n % 2 == 0 {
                gh_pull(n, &format!("patchloop/g{n}"), &["patchloop"])
            } else {
                gh_pull(n, &format!("feature/{n}"), &[])
            }
        })
        .collect();
    s.on_query(
        "GET",
        "/repos/acme/shop/pulls",
        &[("page", "1")],
        vec![Reply::json(200, json!(page1))],
    );
    s.on_query(
        "GET",
        "/repos/acme/shop/pulls",
        &[("page", "2")],
        vec![Reply::json(
            200,
            json!([
                gh_pull(101, "patchloop/last", &[]),
                gh_pull(102, "x", &["patchloop"])
            ]),
        )],
    );
    let gh = github(&s);
    assert_eq!(
        gh.count_open(&OpenFilter::HeadPrefix("patchloop/".into()))
            .unwrap(),
        51
    );
    assert_eq!(
        gh.count_open(&OpenFilter::Label("patchloop".into()))
            .unwrap(),
        51
    );
    let reqs = s.requests_to("GET", "/repos/acme/shop/pulls");
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].query["state"], "open");
    assert_eq!(reqs[0].query["per_page"], "100");
}

#[test]
fn github_automerge_uses_graphql_pinned_to_the_head() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls/7",
        vec![Reply::json(200, gh_pull(7, "patchloop/express", &[]))],
    );
    s.on(
        "POST",
        "/graphql",
        vec![Reply::json(
            200,
            json!({"data": {"enablePullRequestAutoMerge": {"pullRequest": {"number": 7}}}}),
        )],
    );
    let gh = GitHub::new(
        &s.base,
        "acme",
        "shop",
        Token::new(TOKEN),
        &ClientOptions {
            merge_method: MergeMethod::Squash,
            ..opts()
        },
    );
    let pr = open_pr(7);
    gh.enable_automerge(&pr).unwrap();
    let q = &s.requests_to("POST", "/graphql")[0];
    assert_eq!(
        q.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let b = q.json();
    assert!(
        b["query"]
            .as_str()
            .unwrap()
            .contains("enablePullRequestAutoMerge")
    );
    assert_eq!(b["variables"]["id"], "PR_node7");
    assert_eq!(b["variables"]["method"], "SQUASH");
    assert_eq!(b["variables"]["oid"], "abc123");
    assert!(
        s.requests_to("PUT", "/repos/acme/shop/pulls/7/merge")
            .is_empty()
    );
}

#[test]
fn github_automerge_merges_a_pull_request_already_in_clean_status() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls/7",
        vec![Reply::json(200, gh_pull(7, "patchloop/express", &[]))],
    );
    s.on(
        "POST",
        "/graphql",
        vec![Reply::json(
            200,
            json!({"data": null, "errors": [{"type": "UNPROCESSABLE", "message": "Pull request Pull request is in clean status"}]}),
        )],
    );
    s.on(
        "PUT",
        "/repos/acme/shop/pulls/7/merge",
        vec![Reply::json(200, json!({"merged": true, "sha": "ffff"}))],
    );
    let gh = github(&s);
    let pr = open_pr(7);
    gh.enable_automerge(&pr).unwrap();
    let merge = &s.requests_to("PUT", "/repos/acme/shop/pulls/7/merge")[0];
    assert_eq!(
        merge.json(),
        json!({"merge_method": "merge", "sha": "abc123"})
    );

    // Any other GraphQL error is reported, typed.
    let s2 = Server::start();
    s2.on(
        "GET",
        "/repos/acme/shop/pulls/7",
        vec![Reply::json(200, gh_pull(7, "patchloop/express", &[]))],
    );
    s2.on(
        "POST",
        "/graphql",
        vec![Reply::json(
            200,
            json!({"errors": [{"type": "UNPROCESSABLE", "message": "Auto merge is not allowed for this repository"}]}),
        )],
    );
    match github(&s2).enable_automerge(&pr).unwrap_err() {
        ForgeError::Refused { message, .. } => {
            assert!(message.contains("not allowed"), "{message}")
        }
        other => panic!("expected Refused, got {other:?}"),
    }
}

#[test]
fn github_enterprise_graphql_endpoint_is_derived() {
    let s = Server::start();
    s.on(
        "GET",
        "/api/v3/repos/acme/shop/pulls/3",
        vec![Reply::json(200, gh_pull(3, "patchloop/a", &[]))],
    );
    s.on(
        "POST",
        "/api/graphql",
        vec![Reply::json(200, json!({"data": {}}))],
    );
    let gh = GitHub::new(
        &format!("{}/api/v3/", s.base),
        "acme",
        "shop",
        Token::new(TOKEN),
        &opts(),
    );
    let pr = open_pr(3);
    gh.enable_automerge(&pr).unwrap();
    assert_eq!(s.requests_to("POST", "/api/graphql").len(), 1);
}

#[test]
fn network_errors_are_typed() {
    // A port nothing listens on: bind, note it, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gh = GitHub::new(
        &format!("http://127.0.0.1:{port}"),
        "acme",
        "shop",
        Token::new(TOKEN),
        &opts(),
    );
    let e = gh.find_open("patchloop/x").unwrap_err();
    assert!(matches!(e, ForgeError::Network { .. }), "{e:?}");
    no_token_in(&format!("{e} {e:?}"));
}

#[test]
fn redirects_are_not_followed() {
    let s = Server::start();
    s.on(
        "GET",
        "/repos/acme/shop/pulls",
        vec![Reply {
            status: 301,
            headers: vec![("Location".into(), "http://elsewhere.invalid/x".into())],
            body: String::new(),
        }],
    );
    let e = github(&s).find_open("patchloop/x").unwrap_err();
    match e {
        ForgeError::Http {
            status, message, ..
        } => {
            assert_eq!(status, 301);
            assert!(message.contains("not followed"), "{message}");
        }
        other => panic!("expected Http, got {other:?}"),
    }
}

#[test]
fn missing_token_names_the_variable() {
    let cfg = ForgeConfig::from_remote(
        "git@github.com:acme/shop.git",
        &RemoteOverrides {
            token_env: Some("PATCHLOOP_TEST_TOKEN_THAT_IS_NOT_SET".into()),
            ..RemoteOverrides::default()
        },
    )
    .unwrap();
    let e = cfg.connect(&opts()).err().expect("no token");
    assert_eq!(
        e,
        ForgeError::MissingToken {
            var: "PATCHLOOP_TEST_TOKEN_THAT_IS_NOT_SET".into()
        }
    );
}

// ---------------------------------------------------------------- GitLab

const GL_MRS: &str = "/projects/group%2Fsub%2Fshop/merge_requests";

#[test]
fn gitlab_opens_a_merge_request() {
    let s = Server::start();
    s.on("GET", GL_MRS, vec![Reply::json(200, json!([]))]);
    s.on(
        "POST",
        GL_MRS,
        vec![Reply::json(201, gl_mr(5, "patchloop/express"))],
    );
    let gl = gitlab(&s);
    let mut req = request("fixes GHSA-rv95-896h-c2vc; tests passed");
    req.draft = true;
    let up = upsert_pull_request(&gl, &req).unwrap();
    assert!(up.created);
    assert_eq!(up.pr.number, 5);
    assert_eq!(up.pr.state, PrState::Open);
    assert!(up.pr.url.ends_with("/merge_requests/5"));

    let find = &s.requests_to("GET", GL_MRS)[0];
    assert_eq!(find.query["source_branch"], "patchloop/express");
    assert_eq!(find.query["state"], "opened");
    assert_eq!(find.header("private-token"), Some(TOKEN));
    assert_eq!(find.header("authorization"), None);

    let b = s.requests_to("POST", GL_MRS)[0].json();
    assert_eq!(b["source_branch"], "patchloop/express");
    assert_eq!(b["target_branch"], "main");
    assert!(
        b["title"]
            .as_str()
            .unwrap()
            .starts_with("Draft: fix(security)")
    );
    assert!(
        b["description"]
            .as_str()
            .unwrap()
            .contains("GHSA-rv95-896h-c2vc")
    );
    assert_eq!(b["labels"], "security,patchloop");
}

#[test]
fn gitlab_updates_the_open_merge_request() {
    let s = Server::start();
    s.on(
        "GET",
        GL_MRS,
        vec![Reply::json(200, json!([gl_mr(4, "patchloop/express")]))],
    );
    s.on(
        "PUT",
        &format!("{GL_MRS}/4"),
        vec![Reply::json(200, gl_mr(4, "patchloop/express"))],
    );
    let gl = gitlab(&s);
    let up = upsert_pull_request(&gl, &request("second body")).unwrap();
    assert!(!up.created);
    assert!(s.requests_to("POST", GL_MRS).is_empty());
    let put = s.requests_to("PUT", &format!("{GL_MRS}/4"))[0].json();
    assert_eq!(put["description"], "second body");
    assert!(!put["title"].as_str().unwrap().starts_with("Draft:"));

    // A title-only update leaves the description alone.
    gl.update_pull_request(
        4,
        &PullRequestUpdate {
            title: Some("t".into()),
            body: None,
            draft: true,
        },
    )
    .unwrap();
    let put = s.requests_to("PUT", &format!("{GL_MRS}/4"))[1].json();
    assert_eq!(put, json!({"title": "Draft: t"}));
}

#[test]
fn gitlab_409_is_already_exists_and_401_unauthorized() {
    let s = Server::start();
    s.on(
        "POST",
        GL_MRS,
        vec![
            Reply::json(
                409,
                json!({"message": ["Another open merge request already exists for this source branch: !4"]}),
            ),
            Reply::json(401, json!({"message": "401 Unauthorized"})),
        ],
    );
    let gl = gitlab(&s);
    let e = gl.open_pull_request(&request("b")).unwrap_err();
    assert!(matches!(e, ForgeError::AlreadyExists { .. }), "{e:?}");
    let e = gl.open_pull_request(&request("b")).unwrap_err();
    assert!(
        matches!(e, ForgeError::Unauthorized { status: 401, .. }),
        "{e:?}"
    );
    no_token_in(&format!("{e} {e:?} {gl:?}"));
}

#[test]
fn gitlab_automerge_sets_auto_merge_on_the_head() {
    let s = Server::start();
    s.on(
        "GET",
        &format!("{GL_MRS}/5"),
        vec![Reply::json(200, gl_mr(5, "patchloop/express"))],
    );
    s.on(
        "PUT",
        &format!("{GL_MRS}/5/merge"),
        vec![Reply::json(200, gl_mr(5, "patchloop/express"))],
    );
    let gl = gitlab(&s);
    let pr = open_pr(5);
    gl.enable_automerge(&pr).unwrap();
    let b = s.requests_to("PUT", &format!("{GL_MRS}/5/merge"))[0].json();
    assert_eq!(b["auto_merge"], true);
    assert_eq!(b["merge_when_pipeline_succeeds"], true);
    assert_eq!(b["sha"], "def456");
    assert_eq!(b["squash"], false);
}

#[test]
fn gitlab_counts_by_label_server_side_and_by_prefix() {
    let s = Server::start();
    s.on_query(
        "GET",
        GL_MRS,
        &[("labels", "patchloop")],
        vec![
            Reply::json(
                200,
                json!([gl_mr(1, "patchloop/a"), gl_mr(2, "patchloop/b")]),
            )
            .header("X-Next-Page", ""),
        ],
    );
    s.on_query(
        "GET",
        GL_MRS,
        &[("page", "1")],
        vec![
            Reply::json(200, json!([gl_mr(1, "patchloop/a"), gl_mr(3, "feature/x")]))
                .header("X-Next-Page", "2"),
        ],
    );
    s.on_query(
        "GET",
        GL_MRS,
        &[("page", "2")],
        vec![Reply::json(200, json!([gl_mr(4, "patchloop/c")])).header("X-Next-Page", "")],
    );
    let gl = gitlab(&s);
    assert_eq!(
        gl.count_open(&OpenFilter::Label("patchloop".into()))
            .unwrap(),
        2
    );
    assert_eq!(
        gl.count_open(&OpenFilter::HeadPrefix("patchloop/".into()))
            .unwrap(),
        2
    );
}

// ---------------------------------------------------------------- Gitea

const GT: &str = "/api/v1/repos/acme/shop";

#[test]
fn gitea_opens_a_pull_request_with_label_ids() {
    let s = Server::start();
    s.on(
        "GET",
        &format!("{GT}/pulls"),
        vec![Reply::json(200, json!([]))],
    );
    s.on(
        "GET",
        &format!("{GT}/labels"),
        vec![Reply::json(
            200,
            json!([{"id": 11, "name": "security"}, {"id": 12, "name": "bug"}]),
        )],
    );
    s.on(
        "POST",
        &format!("{GT}/labels"),
        vec![Reply::json(201, json!({"id": 13, "name": "patchloop"}))],
    );
    s.on(
        "POST",
        &format!("{GT}/pulls"),
        vec![Reply::json(
            201,
            gt_pull(3, "patchloop/express", &["security", "patchloop"]),
        )],
    );
    let gt = gitea(&s);
    let up = upsert_pull_request(&gt, &request("fixes GHSA-rv95-896h-c2vc; tests passed")).unwrap();
    assert!(up.created);
    assert_eq!(up.pr.number, 3);

    let create = &s.requests_to("POST", &format!("{GT}/pulls"))[0];
    assert_eq!(
        create.header("authorization"),
        Some(format!("token {TOKEN}").as_str())
    );
    let b = create.json();
    assert_eq!(b["head"], "patchloop/express");
    assert_eq!(b["base"], "main");
    assert_eq!(b["labels"], json!([11, 13]));
    assert!(b["body"].as_str().unwrap().contains("GHSA-rv95-896h-c2vc"));
    let label = s.requests_to("POST", &format!("{GT}/labels"))[0].json();
    assert_eq!(label["name"], "patchloop");
    assert!(label["color"].as_str().unwrap().starts_with('#'));
}

#[test]
fn gitea_finds_the_open_pull_request_by_paging() {
    let s = Server::start();
    let page1: Vec<_> = (1..=50)
        .map(|n| gt_pull(n, &format!("feature/{n}"), &[]))
        .collect();
    s.on_query(
        "GET",
        &format!("{GT}/pulls"),
        &[("page", "1")],
        vec![Reply::json(200, json!(page1))],
    );
    s.on_query(
        "GET",
        &format!("{GT}/pulls"),
        &[("page", "2")],
        vec![Reply::json(
            200,
            json!([gt_pull(60, "patchloop/express", &["patchloop"])]),
        )],
    );
    s.on(
        "PATCH",
        &format!("{GT}/pulls/60"),
        vec![Reply::json(200, gt_pull(60, "patchloop/express", &[]))],
    );
    let gt = gitea(&s);
    let mut req = request("updated");
    req.draft = true;
    let up = upsert_pull_request(&gt, &req).unwrap();
    assert!(!up.created);
    assert_eq!(up.pr.number, 60);
    assert!(s.requests_to("POST", &format!("{GT}/pulls")).is_empty());
    let patch = s.requests_to("PATCH", &format!("{GT}/pulls/60"))[0].json();
    assert_eq!(patch["body"], "updated");
    assert!(patch["title"].as_str().unwrap().starts_with("WIP: "));
    assert_eq!(
        gt.count_open(&OpenFilter::HeadPrefix("patchloop/".into()))
            .unwrap(),
        1
    );
    assert_eq!(
        gt.count_open(&OpenFilter::Label("patchloop".into()))
            .unwrap(),
        1
    );
    let list = &s.requests_to("GET", &format!("{GT}/pulls"))[0];
    assert_eq!(list.query["state"], "open");
    assert_eq!(list.query["limit"], "50");
}

#[test]
fn gitea_409_is_already_exists() {
    let s = Server::start();
    s.on(
        "POST",
        &format!("{GT}/pulls"),
        vec![Reply::json(
            409,
            json!({"message": "pull request already exists for these targets", "url": "https://git.example.com/api/swagger"}),
        )],
    );
    let mut req = request("b");
    req.labels.clear();
    let e = gitea(&s).open_pull_request(&req).unwrap_err();
    assert!(matches!(e, ForgeError::AlreadyExists { .. }), "{e:?}");
}

#[test]
fn gitea_automerge_merges_when_checks_succeed() {
    let s = Server::start();
    s.on(
        "GET",
        &format!("{GT}/pulls/3"),
        vec![Reply::json(200, gt_pull(3, "patchloop/express", &[]))],
    );
    s.on(
        "POST",
        &format!("{GT}/pulls/3/merge"),
        vec![Reply {
            status: 200,
            headers: vec![],
            body: String::new(),
        }],
    );
    let gt = gitea(&s);
    let pr = open_pr(3);
    gt.enable_automerge(&pr).unwrap();
    let b = s.requests_to("POST", &format!("{GT}/pulls/3/merge"))[0].json();
    assert_eq!(
        b,
        json!({"Do": "merge", "merge_when_checks_succeed": true, "head_commit_id": "0123abcd"})
    );
}

#[test]
fn automerge_of_a_closed_pull_request_is_a_conflict() {
    let s = Server::start();
    let mut closed = gt_pull(3, "patchloop/express", &[]);
    closed["state"] = json!("closed");
    s.on(
        "GET",
        &format!("{GT}/pulls/3"),
        vec![Reply::json(200, closed)],
    );
    let pr = open_pr(3);
    let e = gitea(&s).enable_automerge(&pr).unwrap_err();
    assert!(matches!(e, ForgeError::Conflict { .. }), "{e:?}");
    assert!(
        s.requests_to("POST", &format!("{GT}/pulls/3/merge"))
            .is_empty()
    );
}

#[test]
fn config_connects_the_right_client() {
    let s = Server::start();
    s.on(
        "GET",
        GL_MRS,
        vec![Reply::json(200, json!([gl_mr(8, "patchloop/a")]))],
    );
    let cfg = ForgeConfig::from_remote(
        "https://gitlab.example.com/group/sub/shop.git",
        &RemoteOverrides {
            api_url: Some(s.base.clone()),
            ..RemoteOverrides::default()
        },
    )
    .unwrap();
    let forge = cfg.connect_with_token(Token::new(TOKEN), &opts());
    assert_eq!(forge.kind(), ForgeKind::GitLab);
    assert_eq!(forge.find_open("patchloop/a").unwrap().unwrap().number, 8);
    assert_eq!(forge.find_open("patchloop/b").unwrap(), None);
}

// ---------------------------------------------------------------- remotes

#[test]
fn remote_urls() {
    type Row = (
        &'static str,
        ForgeKind,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let table: &[Row] = &[
        (
            "git@github.com:o/r.git",
            ForgeKind::GitHub,
            "github.com",
            "o",
            "r",
            "https://api.github.com",
        ),
        (
            "https://github.com/o/r",
            ForgeKind::GitHub,
            "github.com",
            "o",
            "r",
            "https://api.github.com",
        ),
        (
            "https://github.com/o/r.git/",
            ForgeKind::GitHub,
            "github.com",
            "o",
            "r",
            "https://api.github.com",
        ),
        (
            "https://x-access-token:abc@github.com/o/r.git",
            ForgeKind::GitHub,
            "github.com",
            "o",
            "r",
            "https://api.github.com",
        ),
        (
            "ssh://git@ssh.github.com:443/o/r.git",
            ForgeKind::GitHub,
            "github.com",
            "o",
            "r",
            "https://api.github.com",
        ),
        (
            "git@github.example.com:team/app.git",
            ForgeKind::GitHub,
            "github.example.com",
            "team",
            "app",
            "https://github.example.com/api/v3",
        ),
        (
            "https://gitlab.com/group/repo.git",
            ForgeKind::GitLab,
            "gitlab.com",
            "group",
            "repo",
            "https://gitlab.com/api/v4",
        ),
        (
            "https://gitlab.example.com/group/sub/repo.git",
            ForgeKind::GitLab,
            "gitlab.example.com",
            "group/sub",
            "repo",
            "https://gitlab.example.com/api/v4",
        ),
        (
            "ssh://git@gitlab.example.com:2222/group/sub/repo.git",
            ForgeKind::GitLab,
            "gitlab.example.com",
            "group/sub",
            "repo",
            "https://gitlab.example.com/api/v4",
        ),
        (
            "http://gitlab.local:8080/g/r",
            ForgeKind::GitLab,
            "gitlab.local",
            "g",
            "r",
            "http://gitlab.local:8080/api/v4",
        ),
        (
            "git@codeberg.org:o/r.git",
            ForgeKind::Gitea,
            "codeberg.org",
            "o",
            "r",
            "https://codeberg.org/api/v1",
        ),
        (
            "ssh://git@gitea.example.com:2222/o/r.git",
            ForgeKind::Gitea,
            "gitea.example.com",
            "o",
            "r",
            "https://gitea.example.com/api/v1",
        ),
        (
            "https://forgejo.example.com/git/o/r.git",
            ForgeKind::Gitea,
            "forgejo.example.com",
            "o",
            "r",
            "https://forgejo.example.com/git/api/v1",
        ),
    ];
    for (remote, kind, host, owner, repo, api) in table {
        let c = ForgeConfig::from_remote(remote, &RemoteOverrides::default())
            .unwrap_or_else(|e| panic!("{remote}: {e}"));
        assert_eq!(
            (
                c.kind,
                c.host.as_str(),
                c.owner.as_str(),
                c.repo.as_str(),
                c.api_url.as_str()
            ),
            (*kind, *host, *owner, *repo, *api),
            "{remote}"
        );
        assert_eq!(c.token_env, kind.default_token_env(), "{remote}");
        assert!(
            !format!("{c:?}").contains("abc@"),
            "{remote}: credentials kept"
        );
    }
}

#[test]
fn remote_overrides_and_errors() {
    // A host that does not tell: the kind must be given.
    let e = ForgeConfig::from_remote(
        "ssh://git@git.example.com:2222/o/r.git",
        &RemoteOverrides::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot tell which forge"), "{e}");
    let c = ForgeConfig::from_remote(
        "ssh://git@git.example.com:2222/o/r.git",
        &RemoteOverrides {
            kind: Some(ForgeKind::Gitea),
            api_url: Some("https://git.example.com:3000/api/v1/".into()),
            token_env: Some("FORGEJO_TOKEN".into()),
        },
    )
    .unwrap();
    assert_eq!(c.kind, ForgeKind::Gitea);
    assert_eq!(c.api_url, "https://git.example.com:3000/api/v1");
    assert_eq!(c.token_env, "FORGEJO_TOKEN");
    assert_eq!(c.full_name(), "o/r");

    // The kind override wins over the host name.
    let c = ForgeConfig::from_remote(
        "https://gitlab.example.com/o/r",
        &RemoteOverrides {
            kind: Some(ForgeKind::Gitea),
            ..RemoteOverrides::default()
        },
    )
    .unwrap();
    assert_eq!(c.api_url, "https://gitlab.example.com/api/v1");

    for bad in [
        "",
        "/srv/git/repo.git",
        "../repo",
        "file:///srv/git/repo.git",
        "C:\\src\\repo",
        "https://github.com/",
        "https://github.com/o",
        "https://github.com/o/r/extra",
        "git@github.com:",
        "https://github.com:notaport/o/r",
        "https://github.com/o/../r",
        "ftp://github.com/o/r",
        "https://github.com/o/r\nx",
    ] {
        assert!(
            ForgeConfig::from_remote(bad, &RemoteOverrides::default()).is_err(),
            "{bad:?} accepted"
        );
    }
    let u = parse_remote("ssh://git@[::1]:2222/o/r.git").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.path.as_str()),
        ("[::1]", Some(2222), "o/r")
    );
}

#[test]
fn remote_parsing_never_panics() {
    let pieces = [
        "", ":", "/", "@", "[", "]", "://", "git@", "https://", "ssh://", "h", "é", "%", ".git",
        "..", "\\", "?", "#", ":22", "[::1]", "/o/r",
    ];
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let s = format!("{a}{b}{c}");
                let _ = ForgeConfig::from_remote(&s, &RemoteOverrides::default());
            }
        }
    }
}

// ---------------------------------------------------------------- bodies

fn group() -> PlanGroup {
    serde_json::from_value(json!({
        "id": "express-4.17.3",
        "branch": "patchloop/express-4.17.3",
        "priority": "act",
        "due": "2024-06-01",
        "changes": [{
            "ecosystem": "npm",
            "package": "express",
            "file": "package-lock.json",
            "from": "4.17.1",
            "to": "4.17.3",
            "update": "patch",
            "relation": "direct",
            "strategy": "manifest-bump",
            "fixes": ["GHSA-rv95-896h-c2vc"],
            "risk_note": "patch update: bug fixes only under SemVer",
            "action": "npm install express@4.17.3",
            "versions_from": "registry"
        }],
        "fixes": ["GHSA-rv95-896h-c2vc", "GHSA-nope-nope-nope"],
        "update": "patch"
    }))
    .unwrap()
}

fn finding(id: &str, package: &str, summary: &str) -> Finding {
    serde_json::from_value(json!({
        "id": id,
        "aliases": ["CVE-2022-24999"],
        "records": [id],
        "category": "vulnerability",
        "summary": summary,
        "package": {"ecosystem": "npm", "name": package, "version": "4.17.1",
                    "purl": format!("pkg:npm/{package}@4.17.1")},
        "occurrences": [{"path": "package-lock.json", "relation": "direct", "scope": "runtime"}],
        "fixed": "4.17.3",
        "severity": {"level": "high", "score": 7.5},
        "url": format!("https://osv.dev/vulnerability/{id}"),
        "exploitation": {
            "kev": [{"cve": "CVE-2022-24999", "date_added": "2023-01-10", "due_date": "2023-01-31",
                     "known_ransomware": true}],
            "epss": {"cve": "CVE-2022-24999", "probability": 0.942, "percentile": 0.991}
        },
        "risk": {
            "priority": "act", "score": 87,
            "ssvc": {"exploitation": "active", "exposure": "open", "automatable": "yes",
                     "human_impact": "high", "decision": "act", "row": 1},
            "context": {"criticality": "high", "exposure": "internet-facing",
                        "environment": "prod", "source": "default"},
            "first_seen": "2024-05-01", "due": "2024-06-01", "due_reason": "act SLA",
            "overdue": true, "signals": []
        }
    }))
    .unwrap()
}

fn evidence() -> TestEvidence {
    TestEvidence {
        command: "npm test".into(),
        outcome: TestOutcome::Passed,
        duration_secs: 12.34,
        log_tail: "ok 1 - routes\n```\n</details><script>x</script>\n@everyone ok 2".into(),
        exit_code: Some(0),
        log_sha256: String::new(),
    }
}

#[test]
fn title_names_package_target_ids_and_priority() {
    assert_eq!(
        pr_title(&group()),
        "fix(security): bump express to 4.17.3 (GHSA-rv95-896h-c2vc +1, act)"
    );
    let mut g = group();
    g.fixes.truncate(1);
    g.priority = None;
    assert_eq!(
        pr_title(&g),
        "fix(security): bump express to 4.17.3 (GHSA-rv95-896h-c2vc)"
    );
}

#[test]
fn body_shows_findings_changes_and_tests() {
    let findings = vec![
        finding(
            "GHSA-rv95-896h-c2vc",
            "express",
            "Open redirect in express.",
        ),
        finding("GHSA-rv95-896h-c2vc", "express", "duplicate"),
        // Same id, another package this group does not touch.
        finding("GHSA-rv95-896h-c2vc", "other-pkg", "not this group"),
        finding("GHSA-unrelated", "express", "not fixed here"),
    ];
    let body = pr_body(&group(), &findings, Some(&evidence()));
    for want in [
        "[GHSA-rv95-896h-c2vc](https://osv.dev/vulnerability/GHSA-rv95-896h-c2vc) (CVE-2022-24999)",
        "high 7.5",
        "**act** (87)",
        "2024-06-01 **overdue**",
        "**KEV** since 2023-01-10, ransomware",
        "EPSS 94.2% (percentile 99)",
        "express 4.17.1 (npm)",
        "GHSA-nope-nope-nope | — |",
        "- **express** (npm) `4.17.1` → `4.17.3`: patch update, manifest-bump, in `package-lock.json`",
        "Action: `npm install express@4.17.3`",
        "Risk: patch update: bug fixes only under SemVer",
        "✅ **passed**: `npm test` in 12.3 s",
        "Open redirect in express",
        "priority **act**, due **2024-06-01**",
        "<!-- patchloop:group express-4.17.3 -->",
    ] {
        assert!(body.contains(want), "missing {want:?} in\n{body}");
    }
    assert!(!body.contains("not this group"), "{body}");
    assert!(!body.contains("not fixed here"), "{body}");
    assert_eq!(body.matches("| [GHSA-rv95").count(), 1, "{body}");
    // The log is fenced by more backticks than it holds.
    assert!(
        body.contains("````text\nok 1 - routes\n```\n</details><script>"),
        "{body}"
    );

    let none = pr_body(&group(), &findings, None);
    assert!(none.contains("Not run by patchloop."));
    let failed = TestEvidence {
        outcome: TestOutcome::TimedOut,
        duration_secs: 600.0,
        log_tail: String::new(),
        ..evidence()
    };
    let b = pr_body(&group(), &findings, Some(&failed));
    assert!(b.contains("**timed-out**: `npm test` in 10 min 0 s"), "{b}");
    assert!(!b.contains("<details>"));
}

#[test]
fn body_escapes_hostile_advisory_text() {
    let mut f = finding(
        "GHSA-rv95-896h-c2vc",
        "express",
        "x | y <img src=x onerror=alert(1)> cc @acme/security-team [click](javascript:alert(1))",
    );
    f.url = Some("javascript:alert(1)".into());
    f.aliases = vec!["CVE-1|<b>".into()];
    let mut g = group();
    g.changes[0].risk_note = "breaks | <script>alert(1)</script> @octocat".into();
    g.changes[0].action = "npm i `rm -rf /`".into();
    let body = pr_body(&g, &[f], Some(&evidence()));
    assert!(!body.contains("<img"), "{body}");
    assert!(!body.contains("<script>alert"), "{body}");
    assert!(!body.contains("<b>"), "{body}");
    assert!(!body.contains("@acme"), "{body}");
    assert!(!body.contains("@octocat"), "{body}");
    assert!(!body.contains("[click]("), "{body}");
    assert!(body.contains("\\[click\\](javascript"), "{body}");
    assert!(body.contains("x \\| y &lt;img"), "{body}");
    assert!(body.contains("@&#8203;acme"), "{body}");
    assert!(body.contains("Action: `` npm i `rm -rf /` ``"), "{body}");
    // Every table row keeps its six cells.
    for line in body
        .lines()
        .filter(|l| l.starts_with("| GHSA") || l.starts_with("| ["))
    {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 7, "{line}");
    }
}

#[test]
fn body_stays_under_the_limit() {
    let mut g = group();
    let mut findings = Vec::new();
    for i in 0..3000 {
        let id = format!("GHSA-{i:04}-aaaa-bbbb");
        g.fixes.push(id.clone());
        findings.push(finding(&id, "express", &"long summary ".repeat(20)));
    }
    let big = TestEvidence {
        log_tail: "x".repeat(100_000),
        ..evidence()
    };
    let body = pr_body(&g, &findings, Some(&big));
    assert!(
        body.len() <= patchloop_remedy::forge::MAX_BODY_LEN,
        "{}",
        body.len()
    );
    assert!(body.contains("more not shown"), "no truncation note");
    assert!(body.contains("✅ **passed**"));
}
