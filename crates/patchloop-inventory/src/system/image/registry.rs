//! Images read straight from a registry through the OCI distribution API
//! (`docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`).
//!
//! The registry is one more member source of the image pipeline
//! ([`super::store::Store::Registry`]): the manifest the reference names
//! stands in for a layout's `index.json` (an index as it is, a single
//! manifest wrapped in a one-entry index), manifests are fetched from
//! `/v2/<name>/manifests/<digest>` and blobs streamed from
//! `/v2/<name>/blobs/<digest>` (redirects followed, the `Authorization`
//! header never sent to the redirect target). Digests are verified by the
//! pipeline exactly as for a layout on disk; the manifest the reference
//! names is verified here (against the digest when pulled by digest, and
//! against `Docker-Content-Digest` when the registry sends one).
//!
//! Authentication: anonymous first; on `401` the `WWW-Authenticate`
//! challenge is answered once per request: `Bearer` gets a token from the
//! realm (with Basic credentials when there are any), `Basic` gets the
//! credentials. Credentials come from [`RegistryOptions`]: the
//! `PATCHLOOP_REGISTRY_USERNAME`/`PATCHLOOP_REGISTRY_PASSWORD` environment
//! variables, else the Docker config file's `auths` entry for the host.

use std::cell::RefCell;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{ImageError, hex};

/// Largest manifest or index accepted from a registry.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
/// Largest token response accepted from a token service.
const MAX_TOKEN_BYTES: u64 = 1 << 20;
/// Largest error body read (for its message).
const MAX_ERROR_BYTES: u64 = 16 << 10;

/// The manifest types asked for (and accepted) from a registry.
pub const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Docker Hub: the name users write, the API host, and the key of its
/// credentials in the Docker config file.
const HUB_NAME: &str = "docker.io";
const HUB_API: &str = "registry-1.docker.io";
const HUB_AUTH_KEY: &str = "index.docker.io";

/// How to reach registries.
#[derive(Clone, Default)]
pub struct RegistryOptions {
    /// Registries (`HOST[:PORT]`, or `HOST` for every port) spoken to over
    /// plain http. Loopback hosts always are.
    pub insecure: Vec<String>,
    /// Basic credentials; both must be set to be used. They win over the
    /// Docker config file.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The Docker config file whose `auths` are read (`None`: none).
    pub docker_config: Option<PathBuf>,
    /// Connect and per-read timeout (default 30 s).
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("insecure", &self.insecure)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("docker_config", &self.docker_config)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RegistryOptions {
    /// Credentials from `PATCHLOOP_REGISTRY_USERNAME` and
    /// `PATCHLOOP_REGISTRY_PASSWORD`, the Docker config file
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, and
    /// plain-http registries from `PATCHLOOP_INSECURE_REGISTRIES`
    /// (comma-separated `HOST[:PORT]`).
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let docker_config = var("DOCKER_CONFIG")
            .map(|d| PathBuf::from(d).join("config.json"))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")));
        RegistryOptions {
            username: var("PATCHLOOP_REGISTRY_USERNAME"),
            password: var("PATCHLOOP_REGISTRY_PASSWORD"),
            docker_config,
            insecure: var("PATCHLOOP_INSECURE_REGISTRIES")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// What a reference points at in its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(String),
}

/// A parsed `docker://` image reference, normalized as Docker does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry as written after normalization (`docker.io`,
    /// `127.0.0.1:5000`).
    pub registry: String,
    /// The repository path (`library/alpine`).
    pub repository: String,
    pub reference: Reference,
}

impl ImageRef {
    /// Parse `HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]` (without `docker://`).
    /// As Docker: a first component without `.` or `:` that is not
    /// `localhost` (and is lowercase) is a Docker Hub repository, and a
    /// one-component Docker Hub name is in `library/`; the tag defaults to
    /// `latest`.
    pub fn parse(s: &str) -> Result<ImageRef, ImageError> {
        let bad = |why: &str| ImageError::Registry {
            reference: format!("docker://{s}"),
            why: why.to_string(),
        };
        if s.is_empty() || s.len() > 1024 {
            return Err(bad("not an image reference"));
        }
        let (name, reference) = match s.split_once('@') {
            Some((n, d)) => {
                valid_digest(d).ok_or_else(|| bad("the digest is not sha256:<64 hex>"))?;
                // `name:tag@digest`: the digest decides.
                let n = match n.rsplit_once(':') {
                    Some((before, tag)) if !tag.contains('/') => before,
                    _ => n,
                };
                (n, Reference::Digest(d.to_string()))
            }
            None => match s.rsplit_once(':') {
                Some((n, tag)) if !tag.contains('/') => {
                    if !valid_tag(tag) {
                        return Err(bad("the tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
                    }
                    (n, Reference::Tag(tag.to_string()))
                }
                _ => (s, Reference::Tag("latest".into())),
            },
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_string(), rest.to_string())
            }
            _ => (HUB_NAME.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" || registry == HUB_API {
            HUB_NAME.to_string()
        } else {
            registry
        };
        let repository = if registry == HUB_NAME && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if !valid_host(&registry) {
            return Err(bad("the registry is not HOST[:PORT]"));
        }
        if !valid_repository(&repository) {
            return Err(bad(
                "the repository is not lowercase path components of [a-z0-9._-]",
            ));
        }
        Ok(ImageRef {
            registry,
            repository,
            reference,
        })
    }

    /// The host the API is reached at (`registry-1.docker.io` for Docker
    /// Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == HUB_NAME {
            HUB_API
        } else {
            &self.registry
        }
    }

    /// `docker://registry/repository:tag` (or `@digest`).
    pub fn display(&self) -> String {
        match &self.reference {
            Reference::Tag(t) => format!("docker://{}/{}:{t}", self.registry, self.repository),
            Reference::Digest(d) => format!("docker://{}/{}@{d}", self.registry, self.repository),
        }
    }
}

fn valid_digest(d: &str) -> Option<&str> {
    d.strip_prefix("sha256:").filter(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

fn valid_tag(t: &str) -> bool {
    let mut b = t.bytes();
    t.len() <= 128
        && b.next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_host(h: &str) -> bool {
    let (host, port) = if let Some(rest) = h.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip6, port)) => {
                if ip6.is_empty() || !ip6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
                    return false;
                }
                ("x", port.strip_prefix(':'))
            }
            None => return false,
        }
    } else {
        match h.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (h, None),
        }
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

fn valid_repository(r: &str) -> bool {
    r.len() <= 255
        && r.split('/').all(|c| {
            c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        })
}

/// Whether `registry` (`host[:port]`) is spoken to over plain http: a
/// loopback host, or one listed in `insecure` (with its port, or without
/// a port for every port).
pub fn is_plain_http(registry: &str, insecure: &[String]) -> bool {
    let host = if registry.starts_with('[') {
        registry
            .split_once(']')
            .map(|(h, _)| format!("{h}]"))
            .unwrap_or_default()
    } else {
        registry.split(':').next().unwrap_or("").to_string()
    };
    let loopback = host == "localhost"
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback
        || insecure.iter().any(|i| {
            let i = i.trim_end_matches('/');
            let i = i
                .strip_prefix("http://")
                .or_else(|| i.strip_prefix("https://"))
                .unwrap_or(i);
            i == registry || i == host
        })
}

/// Basic credentials for `registry` from the options: the explicit pair,
/// else the Docker config file's `auths` (`auth` = base64 `user:pass`, or
/// `username` and `password`). Keys are matched on their host, so
/// `https://index.docker.io/v1/` is Docker Hub's.
fn credentials(r: &ImageRef, opts: &RegistryOptions) -> Result<Option<String>, ImageError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let (Some(u), Some(p)) = (&opts.username, &opts.password) {
        return Ok(Some(b64.encode(format!("{u}:{p}"))));
    }
    let Some(path) = &opts.docker_config else {
        return Ok(None);
    };
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ImageError::io(&path.display().to_string(), e)),
    };
    let bad = |why: String| ImageError::Member {
        member: path.display().to_string(),
        why,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| bad(format!("bad JSON: {e}")))?;
    let want = if r.registry == HUB_NAME {
        HUB_AUTH_KEY
    } else {
        r.registry.as_str()
    };
    let Some(auths) = doc.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    for (key, entry) in auths {
        let k = key
            .strip_prefix("https://")
            .or_else(|| key.strip_prefix("http://"))
            .unwrap_or(key);
        let k = k.split('/').next().unwrap_or("");
        let k = if k == HUB_NAME || k == HUB_API {
            HUB_AUTH_KEY
        } else {
            k
        };
        if k != want {
            continue;
        }
        if let Some(a) = entry
            .get("auth")
            .and_then(|a| a.as_str())
            .filter(|a| !a.is_empty())
        {
            let raw = b64
                .decode(a.trim())
                .map_err(|_| bad(format!("auths.{key:?}.auth is not base64")))?;
            if !raw.contains(&b':') {
                return Err(bad(format!(
                    "auths.{key:?}.auth is not base64 of user:password"
                )));
            }
            return Ok(Some(b64.encode(raw)));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|v| v.as_str()),
            entry.get("password").and_then(|v| v.as_str()),
        ) {
            return Ok(Some(b64.encode(format!("{u}:{p}"))));
        }
    }
    Ok(None)
}

/// A `WWW-Authenticate` challenge: scheme and parameters.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the first challenge of a `WWW-Authenticate` header:
/// `Bearer realm="https://auth",service="reg",scope="repository:x:pull"`.
pub(crate) fn parse_challenge(h: &str) -> Option<Challenge> {
    let h = h.trim();
    let (scheme, mut rest) = match h.split_once(char::is_whitespace) {
        Some((s, r)) => (s, r.trim_start()),
        None => (h, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().trim_start_matches(',').trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            // The next challenge begins: only the first is read.
            break;
        }
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => v.push(c),
                }
            }
            (v, q.get(end?..).unwrap_or(""))
        } else {
            let stop = after.find(',').unwrap_or(after.len());
            (
                after.get(..stop).unwrap_or("").trim().to_string(),
                after.get(stop..).unwrap_or(""),
            )
        };
        params.push((name.to_string(), value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        scheme: scheme.to_string(),
        params,
    })
}

/// One repository of one registry, with the manifest the reference names.
pub(crate) struct Remote {
    image: ImageRef,
    display: String,
    base: String,
    agent: ureq::Agent,
    /// base64 `user:pass`, never printed.
    basic: Option<String>,
    /// The `Authorization` header value in use.
    auth: RefCell<Option<String>>,
    /// The top manifest as fetched: its bytes, media type and digest.
    pub top: (Vec<u8>, String, String),
}

impl Remote {
    /// Connect to the registry of `image` and fetch the manifest it names.
    pub(crate) fn open(image: ImageRef, opts: &RegistryOptions) -> Result<Remote, ImageError> {
        let scheme = if is_plain_http(&image.registry, &opts.insecure) {
            "http"
        } else {
            "https"
        };
        let timeout = opts.timeout.unwrap_or(Duration::from_secs(30));
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .timeout_write(timeout)
            .redirects(5)
            .user_agent(concat!("patchloop/", env!("CARGO_PKG_VERSION")))
            .build();
        let basic = credentials(&image, opts)?;
        let mut remote = Remote {
            display: image.display(),
            base: format!("{scheme}://{}", image.api_host()),
            image,
            agent,
            basic,
            auth: RefCell::new(None),
            top: (Vec::new(), String::new(), String::new()),
        };
        let reference = match &remote.image.reference {
            Reference::Tag(t) => t.clone(),
            Reference::Digest(d) => d.clone(),
        };
        let (bytes, media, header_digest) = remote.manifest(&reference, MAX_MANIFEST_BYTES)?;
        let found = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
        let expected = match &remote.image.reference {
            Reference::Digest(d) => Some(d.clone()),
            Reference::Tag(_) => header_digest.filter(|d| d.starts_with("sha256:")),
        };
        if let Some(expected) = expected
            && expected != found
        {
            return Err(ImageError::Digest {
                member: format!("{} (manifest)", remote.display),
                expected,
                found,
            });
        }
        remote.top = (bytes, media, found);
        Ok(remote)
    }

    pub(crate) fn display(&self) -> &str {
        &self.display
    }

    /// Why a 401 stands after authenticating.
    fn refused(&self) -> &'static str {
        if self.basic.is_some() {
            "the credentials were refused"
        } else {
            "credentials are needed (PATCHLOOP_REGISTRY_USERNAME/PASSWORD or docker login)"
        }
    }

    fn err(&self, why: impl Into<String>) -> ImageError {
        ImageError::Registry {
            reference: self.display.clone(),
            why: why.into(),
        }
    }

    /// Fetch manifest `reference` (tag or digest), at most `max` bytes:
    /// bytes, media type, and the `Docker-Content-Digest` header.
    pub(crate) fn manifest(
        &self,
        reference: &str,
        max: u64,
    ) -> Result<(Vec<u8>, String, Option<String>), ImageError> {
        let what = format!("manifest {reference}");
        let path = format!("/v2/{}/manifests/{reference}", self.image.repository);
        let resp = self.get(&path, &MANIFEST_TYPES.join(", "), &what)?;
        let media = resp
            .header("Content-Type")
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let digest = resp.header("Docker-Content-Digest").map(str::to_string);
        let max = max.min(MAX_MANIFEST_BYTES);
        let bytes = self.read_capped(resp, max, &what)?;
        let media = if MANIFEST_TYPES.contains(&media.as_str()) {
            media
        } else {
            // Content-Type missing or generic: the document's own, else
            // its shape (`manifests`: an index).
            let doc = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
            match doc.as_ref().and_then(|v| v.get("mediaType")?.as_str()) {
                Some(m) => m.to_string(),
                None if doc.as_ref().is_some_and(|v| v.get("manifests").is_some()) => {
                    "application/vnd.oci.image.index.v1+json".to_string()
                }
                None => "application/vnd.oci.image.manifest.v1+json".to_string(),
            }
        };
        if media.starts_with("application/vnd.docker.distribution.manifest.v1") {
            return Err(self.err(format!(
                "{what}: Docker schema 1 manifests ({media}) are not supported"
            )));
        }
        Ok((bytes, media, digest))
    }

    /// Open blob `digest` (redirects followed): a reader over its bytes and
    /// the `Content-Length` when given.
    pub(crate) fn blob(
        &self,
        digest: &str,
    ) -> Result<(Box<dyn Read + Send>, Option<u64>), ImageError> {
        let path = format!("/v2/{}/blobs/{digest}", self.image.repository);
        let resp = self.get(&path, "*/*", &format!("blob {digest}"))?;
        let len = resp
            .header("Content-Length")
            .and_then(|l| l.trim().parse::<u64>().ok());
        Ok((Box::new(resp.into_reader()), len))
    }

    fn read_capped(
        &self,
        resp: ureq::Response,
        max: u64,
        what: &str,
    ) -> Result<Vec<u8>, ImageError> {
        let mut v = Vec::new();
        resp.into_reader()
            .take(max.saturating_add(1))
            .read_to_end(&mut v)
            .map_err(|e| self.err(format!("{what}: {e}")))?;
        if v.len() as u64 > max {
            return Err(self.err(format!("{what}: more than {max} bytes: refused")));
        }
        Ok(v)
    }

    /// GET `path` on the registry, answering one authentication challenge.
    fn get(&self, path: &str, accept: &str, what: &str) -> Result<ureq::Response, ImageError> {
        let url = format!("{}{path}", self.base);
        let mut challenged = false;
        loop {
            let mut req = self.agent.get(&url).set("Accept", accept);
            if let Some(a) = self.auth.borrow().as_deref() {
                req = req.set("Authorization", a);
            }
            match req.call() {
                Ok(resp) => return Ok(resp),
                Err(ureq::Error::Status(401, resp)) if !challenged => {
                    challenged = true;
                    let header = resp.header("WWW-Authenticate").unwrap_or("").to_string();
                    self.authenticate(&header, what)?;
                }
                Err(ureq::Error::Status(401, _)) => {
                    return Err(self.err(format!("{what}: 401 Unauthorized: {}", self.refused())));
                }
                Err(ureq::Error::Status(code, resp)) => {
                    let msg = self.error_message(resp);
                    let why = match code {
                        404 => format!("{what}: not found (404){msg}"),
                        403 => format!("{what}: access denied (403){msg}"),
                        c => format!("{what}: HTTP {c}{msg}"),
                    };
                    return Err(self.err(why));
                }
                Err(ureq::Error::Transport(t)) => {
                    return Err(self.err(format!("{what}: cannot reach {url}: {t}")));
                }
            }
        }
    }

    /// `: CODE message` from a distribution API error body, if any.
    fn error_message(&self, resp: ureq::Response) -> String {
        let mut v = Vec::new();
        if resp
            .into_reader()
            .take(MAX_ERROR_BYTES)
            .read_to_end(&mut v)
            .is_err()
        {
            return String::new();
        }
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&v) else {
            return String::new();
        };
        let Some(e) = doc.get("errors").and_then(|e| e.get(0)) else {
            return String::new();
        };
        let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
        let message = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
        let s: String = format!("{code} {message}")
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        if s.is_empty() { s } else { format!(": {s}") }
    }

    /// Answer a `WWW-Authenticate` challenge: set the `Authorization` to
    /// send from now on.
    fn authenticate(&self, header: &str, what: &str) -> Result<(), ImageError> {
        let Some(ch) = parse_challenge(header) else {
            return Err(self.err(format!(
                "{what}: 401 Unauthorized without a usable WWW-Authenticate challenge"
            )));
        };
        if ch.scheme.eq_ignore_ascii_case("basic") {
            let Some(b) = &self.basic else {
                return Err(self.err(format!(
                    "{what}: 401 Unauthorized: the registry wants Basic credentials (PATCHLOOP_REGISTRY_USERNAME/PASSWORD or docker login)"
                )));
            };
            *self.auth.borrow_mut() = Some(format!("Basic {b}"));
            return Ok(());
        }
        if !ch.scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.err(format!(
                "{what}: 401 Unauthorized: unsupported authentication scheme {:?}",
                ch.scheme
            )));
        }
        let Some(realm) = ch.param("realm") else {
            return Err(self.err(format!("{what}: Bearer challenge without a realm")));
        };
        let plain = realm.starts_with("http://");
        if !(plain || realm.starts_with("https://")) {
            return Err(self.err(format!(
                "{what}: token realm {realm:?} is not an http(s) URL"
            )));
        }
        if plain && self.base.starts_with("https://") {
            return Err(self.err(format!(
                "{what}: token realm {realm} is plain http for an https registry: refused"
            )));
        }
        let scope = ch
            .param("scope")
            .map(str::to_string)
            .unwrap_or_else(|| format!("repository:{}:pull", self.image.repository));
        let mut req = self.agent.get(realm).query("scope", &scope);
        if let Some(s) = ch.param("service") {
            req = req.query("service", s);
        }
        if let Some(b) = &self.basic {
            req = req.set("Authorization", &format!("Basic {b}"));
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code @ (401 | 403), _)) => {
                return Err(self.err(format!(
                    "{what}: token service {realm} answered {code}: {}",
                    self.refused()
                )));
            }
            Err(ureq::Error::Status(code, _)) => {
                return Err(self.err(format!("{what}: token service {realm} answered {code}")));
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(self.err(format!("{what}: cannot reach token service {realm}: {t}")));
            }
        };
        let bytes = self.read_capped(resp, MAX_TOKEN_BYTES, "token")?;
        let doc: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.err(format!("token service {realm}: bad JSON: {e}")))?;
        let token = doc
            .get("token")
            .or_else(|| doc.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                self.err(format!(
                    "token service {realm}: no usable token in the answer"
                ))
            })?;
        *self.auth.borrow_mut() = Some(format!("Bearer {token}"));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn references_normalize_as_docker_does() {
        let a = r("alpine:3.20");
        assert_eq!(
            (a.registry.as_str(), a.repository.as_str(), a.api_host()),
            ("docker.io", "library/alpine", "registry-1.docker.io")
        );
        assert_eq!(a.reference, Reference::Tag("3.20".into()));
        let b = r("bitnami/redis");
        assert_eq!(b.repository, "bitnami/redis");
        assert_eq!(b.reference, Reference::Tag("latest".into()));
        assert_eq!(r("docker.io/alpine").repository, "library/alpine");
        assert_eq!(r("index.docker.io/alpine").registry, "docker.io");
        let c = r("127.0.0.1:5000/team/app:1.0");
        assert_eq!(
            (c.registry.as_str(), c.repository.as_str(), c.api_host()),
            ("127.0.0.1:5000", "team/app", "127.0.0.1:5000")
        );
        assert_eq!(r("localhost/app").registry, "localhost");
        assert_eq!(r("ghcr.io/o/p:v1").registry, "ghcr.io");
        let d = format!("sha256:{}", "ab".repeat(32));
        let e = r(&format!("quay.io/x/y:1.0@{d}"));
        assert_eq!(
            (e.repository.as_str(), e.reference),
            ("x/y", Reference::Digest(d.clone()))
        );
        assert_eq!(
            r(&format!("localhost:5000/y@{d}")).display(),
            format!("docker://localhost:5000/y@{d}")
        );
        for bad in [
            "",
            "Alpine",
            "host:5000/App",
            "x/../y",
            "x//y",
            "host/app:bad tag",
            "host/app@sha256:abc",
            "host/app@md5:00",
            "ho st/app",
            "host:port/app",
            "host/app?x=1",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn plain_http_for_loopback_and_listed_hosts() {
        let none: Vec<String> = Vec::new();
        assert!(is_plain_http("127.0.0.1:5000", &none));
        assert!(is_plain_http("127.1.2.3", &none));
        assert!(is_plain_http("localhost:5000", &none));
        assert!(is_plain_http("[::1]:5000", &none));
        assert!(!is_plain_http("registry.local:5000", &none));
        assert!(!is_plain_http("docker.io", &none));
        let list = vec![
            "registry.local:5000".to_string(),
            "http://10.0.0.1".to_string(),
        ];
        assert!(is_plain_http("registry.local:5000", &list));
        assert!(!is_plain_http("registry.local:5001", &list));
        assert!(is_plain_http("10.0.0.1:443", &list));
    }

    #[test]
    fn challenges() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c.param("service"), Some("registry.docker.io"));
        assert_eq!(c.param("scope"), Some("repository:library/alpine:pull"));
        let c = parse_challenge(r#"Basic realm="a \"b\", c", charset=UTF-8"#).unwrap();
        assert_eq!(c.scheme, "Basic");
        assert_eq!(c.param("realm"), Some("a \"b\", c"));
        assert_eq!(c.param("charset"), Some("UTF-8"));
        assert!(parse_challenge("").is_none());
        // Unterminated quote: no panic, no challenge.
        assert!(parse_challenge(r#"Bearer realm="x"#).is_none());
    }

    #[test]
    fn credentials_from_options_and_docker_config() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.json");
        // `printf 'alice:s3cret' | base64` and `printf 'bob:pw' | base64`.
        std::fs::write(
            &cfg,
            r#"{"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOnB3"},
                "127.0.0.1:5000": {"auth": "YWxpY2U6czNjcmV0"},
                "other.example": {"username": "u", "password": "p"}}}"#,
        )
        .unwrap();
        let opts = RegistryOptions {
            docker_config: Some(cfg.clone()),
            ..Default::default()
        };
        assert_eq!(
            credentials(&r("127.0.0.1:5000/app"), &opts)
                .unwrap()
                .as_deref(),
            Some("YWxpY2U6czNjcmV0")
        );
        assert_eq!(
            credentials(&r("alpine"), &opts).unwrap().as_deref(),
            Some("Ym9iOnB3")
        );
        // base64 of "u:p".
        assert_eq!(
            credentials(&r("other.example/x"), &opts)
                .unwrap()
                .as_deref(),
            Some("dTpw")
        );
        assert_eq!(credentials(&r("127.0.0.1:5001/app"), &opts).unwrap(), None);
        let explicit = RegistryOptions {
            username: Some("bob".into()),
            password: Some("pw".into()),
            docker_config: Some(cfg.clone()),
            ..Default::default()
        };
        assert_eq!(
            credentials(&r("127.0.0.1:5000/app"), &explicit)
                .unwrap()
                .as_deref(),
            Some("Ym9iOnB3")
        );
        assert!(!format!("{explicit:?}").contains("pw\""));
        std::fs::write(&cfg, r#"{"auths": {"127.0.0.1:5000": {"auth": "!!"}}}"#).unwrap();
        let e = credentials(&r("127.0.0.1:5000/app"), &opts).unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
    }
}
