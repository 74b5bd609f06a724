//! A small real registry for tests: an HTTP/1.1 server on 127.0.0.1 that
//! implements the read endpoints of the OCI distribution API
//! (`/v2/<name>/manifests/<ref>`, `/v2/<name>/blobs/<digest>`) over the
//! blobs of an OCI layout a test built, with optional token
//! authentication (a Bearer challenge whose realm wants a Basic
//! credential), blobs redirected to a `/storage/` path, and blobs served
//! with other bytes than their digest. Every request is logged.
//!
//! Shared by `patchloop-inventory/tests/image.rs` and
//! `patchloop/tests/image_cli.rs` (`#[path]`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The token the realm hands out.
const TOKEN: &str = "tok-8f2c1e";
const SERVICE: &str = "test-registry";

/// What the registry serves.
#[derive(Clone, Default)]
pub struct Served {
    pub repo: String,
    /// tag → manifest digest.
    pub tags: HashMap<String, String>,
    /// digest → bytes (manifests, indexes, configs and layers).
    pub blobs: HashMap<String, Vec<u8>>,
    /// digest → other bytes served in its place.
    pub tamper: HashMap<String, Vec<u8>>,
    /// The `Authorization` the token realm requires (`Basic <base64>`);
    /// `None`: anonymous access.
    pub basic: Option<String>,
    /// Answer blob requests with a 307 to `/storage/<digest>`.
    pub redirect_blobs: bool,
    /// With `basic`: the registry itself asks for Basic (no token realm).
    pub basic_on_registry: bool,
    /// Serve manifests with this `Content-Type` instead of their own.
    pub content_type: Option<String>,
}

impl Served {
    /// The `blobs/sha256/<hex>` members of an OCI layout, served in `repo`
    /// with `tags` (tag, manifest digest).
    pub fn from_members(repo: &str, members: &[(String, Vec<u8>)], tags: &[(&str, &str)]) -> Self {
        let blobs = members
            .iter()
            .filter_map(|(name, data)| {
                let hex = name.strip_prefix("blobs/sha256/")?;
                Some((format!("sha256:{hex}"), data.clone()))
            })
            .collect();
        Served {
            repo: repo.into(),
            tags: tags
                .iter()
                .map(|(t, d)| (t.to_string(), d.to_string()))
                .collect(),
            blobs,
            ..Default::default()
        }
    }
}

/// A running registry; it serves until the test process ends.
pub struct Registry {
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Registry {
    pub fn start(served: Served) -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let served = Arc::new(served);
        let l2 = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let served = served.clone();
                let log = l2.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &served, port, &log);
                });
            }
        });
        Registry { port, log }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many requests had exactly this path (query left out).
    pub fn count(&self, path: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn is_manifest(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let m = v.get("mediaType")?.as_str()?;
    (m.contains("manifest") || m.contains("index")).then(|| m.to_string())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(Ok(x)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn respond(
    mut s: &TcpStream,
    code: u16,
    reason: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    s.flush()
}

fn api_error(s: &TcpStream, code: u16, reason: &str, err: &str) -> std::io::Result<()> {
    let body = serde_json::json!({"errors": [{"code": err, "message": reason}]}).to_string();
    respond(
        s,
        code,
        reason,
        &[("Content-Type", "application/json".into())],
        body.as_bytes(),
    )
}

fn handle(
    stream: TcpStream,
    served: &Served,
    port: u16,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers: HashMap<String, String> = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    log.lock().unwrap().push(path.to_string());
    if method != "GET" {
        return api_error(&stream, 405, "Method Not Allowed", "UNSUPPORTED");
    }
    let auth = headers.get("authorization").cloned();
    let bytes_of = |d: &str| {
        served
            .tamper
            .get(d)
            .or_else(|| served.blobs.get(d))
            .cloned()
    };

    if path == "/token" {
        let q: HashMap<String, String> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (percent_decode(k), percent_decode(v)))
            .collect();
        let scope_ok = q.get("scope").map(String::as_str)
            == Some(&format!("repository:{}:pull", served.repo))
            && q.get("service").map(String::as_str) == Some(SERVICE);
        if served.basic.is_some() && auth != served.basic {
            return api_error(&stream, 401, "Unauthorized", "UNAUTHORIZED");
        }
        if !scope_ok {
            return api_error(&stream, 400, "Bad Request", "SCOPE");
        }
        let body = serde_json::json!({"token": TOKEN, "expires_in": 300}).to_string();
        return respond(
            &stream,
            200,
            "OK",
            &[("Content-Type", "application/json".into())],
            body.as_bytes(),
        );
    }
    if let Some(d) = path.strip_prefix("/storage/") {
        // Storage behind a redirect never sees the registry's token.
        if auth.is_some() {
            return api_error(&stream, 400, "Authorization sent to storage", "LEAK");
        }
        return match bytes_of(d) {
            Some(b) => respond(&stream, 200, "OK", &[], &b),
            None => api_error(&stream, 404, "Not Found", "BLOB_UNKNOWN"),
        };
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return api_error(&stream, 404, "Not Found", "NOT_FOUND");
    };
    if served.basic_on_registry {
        if auth != served.basic {
            return respond(
                &stream,
                401,
                "Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"test\"".into())],
                b"",
            );
        }
    } else if served.basic.is_some() && auth.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        let challenge = format!(
            "Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"{SERVICE}\",scope=\"repository:{}:pull\"",
            served.repo
        );
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
        return respond(
            &stream,
            401,
            "Unauthorized",
            &[("WWW-Authenticate", challenge)],
            body,
        );
    }
    if rest.is_empty() {
        return respond(&stream, 200, "OK", &[], b"{}");
    }
    let prefix = format!("{}/", served.repo);
    let Some(rest) = rest.strip_prefix(&prefix) else {
        return api_error(&stream, 404, "repository name not known", "NAME_UNKNOWN");
    };
    if let Some(r) = rest.strip_prefix("manifests/") {
        let digest = served.tags.get(r).cloned().unwrap_or_else(|| r.to_string());
        let media = served.blobs.get(&digest).and_then(|b| is_manifest(b));
        return match (media, bytes_of(&digest)) {
            (Some(m), Some(b)) => respond(
                &stream,
                200,
                "OK",
                &[
                    ("Content-Type", served.content_type.clone().unwrap_or(m)),
                    ("Docker-Content-Digest", digest),
                ],
                &b,
            ),
            _ => api_error(&stream, 404, "manifest unknown", "MANIFEST_UNKNOWN"),
        };
    }
    if let Some(d) = rest.strip_prefix("blobs/") {
        if !served.blobs.contains_key(d) {
            return api_error(&stream, 404, "blob unknown", "BLOB_UNKNOWN");
        }
        if served.redirect_blobs {
            return respond(
                &stream,
                307,
                "Temporary Redirect",
                &[("Location", format!("http://127.0.0.1:{port}/storage/{d}"))],
                b"",
            );
        }
        let b = bytes_of(d).unwrap_or_default();
        return respond(&stream, 200, "OK", &[], &b);
    }
    api_error(&stream, 404, "Not Found", "NOT_FOUND")
}
