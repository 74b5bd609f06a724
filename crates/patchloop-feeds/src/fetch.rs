//! Getting bytes from a source location: an `http(s)://` URL (ureq,
//! rustls; timeouts, retries with backoff, a size limit, conditional
//! requests) or a local path / `file://` URL (a mirror directory).

use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::FeedError;
use crate::progress::{Progress, Unit};

/// Network behaviour.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Connect timeout and per-read timeout.
    pub timeout: Duration,
    /// Retries after the first attempt (connection errors, 429, 5xx,
    /// bodies cut short).
    pub retries: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_bytes: 4 << 30,
        }
    }
}

/// Validators from a previous response, for a conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response.
#[derive(Debug)]
pub enum Fetched<T> {
    /// 304: what we have is current.
    NotModified,
    Body {
        body: T,
        validators: Validators,
    },
}

/// Is this location a URL to fetch over HTTP?
pub fn is_http(loc: &str) -> bool {
    let l = loc.get(..8).unwrap_or(loc).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn local_path(loc: &str) -> PathBuf {
    PathBuf::from(loc.strip_prefix("file://").unwrap_or(loc))
}

/// Join a base location and path segments, percent-encoding each segment
/// for URLs (ecosystems such as `Red Hat` or `Ubuntu:22.04:LTS`).
pub fn join(base: &str, segments: &[&str]) -> String {
    let mut out = base.trim_end_matches('/').to_string();
    let http = is_http(base);
    for s in segments {
        out.push('/');
        if http {
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        } else {
            out.push_str(s);
        }
    }
    out
}

/// Fetches from URLs and local paths.
pub struct Fetcher {
    agent: ureq::Agent,
    opts: FetchOptions,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(opts.timeout)
            .timeout_read(opts.timeout)
            .timeout_write(opts.timeout)
            .redirects(5)
            .user_agent(concat!("patchloop/", env!("CARGO_PKG_VERSION")))
            .build();
        Fetcher { agent, opts }
    }

    /// Fetch into memory.
    pub fn get(
        &self,
        loc: &str,
        cond: &Validators,
        progress: &dyn Progress,
    ) -> Result<Fetched<Vec<u8>>, FeedError> {
        self.get_with_headers(loc, cond, &[], progress)
    }

    /// Fetch into memory, sending extra request headers over HTTP (e.g.
    /// `Accept`); they are ignored for local paths.
    pub fn get_with_headers(
        &self,
        loc: &str,
        cond: &Validators,
        headers: &[(&str, &str)],
        progress: &dyn Progress,
    ) -> Result<Fetched<Vec<u8>>, FeedError> {
        self.get_into(loc, cond, headers, progress, || Ok(Vec::new()))
            .map(|f| match f {
                Fetched::NotModified => Fetched::NotModified,
                Fetched::Body { body, validators } => Fetched::Body { body, validators },
            })
    }

    /// Fetch into an anonymous temporary file (large archives), rewound.
    pub fn get_file(
        &self,
        loc: &str,
        cond: &Validators,
        progress: &dyn Progress,
    ) -> Result<Fetched<std::fs::File>, FeedError> {
        if !is_http(loc) {
            // A local file is read in place.
            let p = local_path(loc);
            return match self.local_validators(loc, cond)? {
                None => Ok(Fetched::NotModified),
                Some(validators) => {
                    let f = std::fs::File::open(&p).map_err(|e| FeedError::io(loc, e))?;
                    Ok(Fetched::Body {
                        body: f,
                        validators,
                    })
                }
            };
        }
        let r = self.get_into(loc, cond, &[], progress, || {
            tempfile::tempfile().map_err(|e| FeedError::io("temporary file", e))
        })?;
        match r {
            Fetched::NotModified => Ok(Fetched::NotModified),
            Fetched::Body {
                mut body,
                validators,
            } => {
                body.rewind()
                    .map_err(|e| FeedError::io("temporary file", e))?;
                Ok(Fetched::Body { body, validators })
            }
        }
    }

    fn local_validators(
        &self,
        loc: &str,
        cond: &Validators,
    ) -> Result<Option<Validators>, FeedError> {
        let p = local_path(loc);
        let meta = std::fs::metadata(&p).map_err(|e| FeedError::io(p.display(), e))?;
        if meta.len() > self.opts.max_bytes {
            return Err(FeedError::Limit {
                path: loc.to_string(),
                reason: format!(
                    "file is larger than the limit of {} bytes",
                    self.opts.max_bytes
                ),
            });
        }
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let etag = format!("\"{}-{mtime}\"", meta.len());
        if cond.etag.as_deref() == Some(etag.as_str()) {
            return Ok(None);
        }
        Ok(Some(Validators {
            etag: Some(etag),
            last_modified: None,
        }))
    }

    fn get_into<W: Write + SinkReset>(
        &self,
        loc: &str,
        cond: &Validators,
        headers: &[(&str, &str)],
        progress: &dyn Progress,
        make: impl Fn() -> Result<W, FeedError>,
    ) -> Result<Fetched<W>, FeedError> {
        if !is_http(loc) {
            let Some(validators) = self.local_validators(loc, cond)? else {
                return Ok(Fetched::NotModified);
            };
            let p = local_path(loc);
            let mut body = make()?;
            let f = std::fs::File::open(&p).map_err(|e| FeedError::io(p.display(), e))?;
            std::io::copy(&mut f.take(self.opts.max_bytes), &mut body)
                .map_err(|e| FeedError::io(p.display(), e))?;
            return Ok(Fetched::Body { body, validators });
        }
        let mut attempt = 0;
        let mut body = make()?;
        loop {
            match self.attempt(loc, cond, headers, progress, &mut body) {
                Ok(Some(validators)) => return Ok(Fetched::Body { body, validators }),
                Ok(None) => return Ok(Fetched::NotModified),
                Err((retryable, status, reason)) => {
                    if !retryable || attempt >= self.opts.retries {
                        let tries = if attempt > 0 {
                            format!(" (after {} attempts)", attempt + 1)
                        } else {
                            String::new()
                        };
                        return Err(FeedError::Http {
                            url: loc.to_string(),
                            reason: format!("{reason}{tries}"),
                            status,
                        });
                    }
                    let wait = self.opts.backoff * 2u32.saturating_pow(attempt);
                    tracing::warn!("{loc}: {reason}; retrying in {wait:?}");
                    std::thread::sleep(wait);
                    attempt += 1;
                    body.reset();
                }
            }
        }
    }

    /// One request. `Ok(None)` is 304. `Err((retryable, status, reason))`,
    /// `status` when the server answered with an error status.
    fn attempt(
        &self,
        url: &str,
        cond: &Validators,
        headers: &[(&str, &str)],
        progress: &dyn Progress,
        body: &mut dyn Write,
    ) -> Result<Option<Validators>, (bool, Option<u16>, String)> {
        let mut req = self.agent.get(url);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        if let Some(e) = &cond.etag {
            req = req.set("If-None-Match", e);
        }
        if let Some(lm) = &cond.last_modified {
            req = req.set("If-Modified-Since", lm);
        }
        let resp = match req.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code, r)) => {
                let retry = code == 429 || code >= 500;
                return Err((
                    retry,
                    Some(code),
                    format!("HTTP {code} {}", r.status_text()),
                ));
            }
            Err(ureq::Error::Transport(t)) => return Err((true, None, t.to_string())),
        };
        if resp.status() == 304 {
            return Ok(None);
        }
        if resp.status() != 200 {
            return Err((
                false,
                Some(resp.status()),
                format!("unexpected HTTP {} {}", resp.status(), resp.status_text()),
            ));
        }
        let validators = Validators {
            etag: resp.header("ETag").map(String::from),
            last_modified: resp.header("Last-Modified").map(String::from),
        };
        let len: Option<u64> = resp.header("Content-Length").and_then(|l| l.parse().ok());
        if let Some(l) = len
            && l > self.opts.max_bytes
        {
            return Err((
                false,
                None,
                format!(
                    "response is {l} bytes, over the limit of {}",
                    self.opts.max_bytes
                ),
            ));
        }
        progress.begin(url, len, Unit::Bytes);
        let mut reader = resp.into_reader().take(self.opts.max_bytes + 1);
        let mut buf = vec![0u8; 64 * 1024];
        let mut total: u64 = 0;
        let r = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    total += n as u64;
                    if total > self.opts.max_bytes {
                        break Err((
                            false,
                            None,
                            format!(
                                "response is larger than the limit of {} bytes",
                                self.opts.max_bytes
                            ),
                        ));
                    }
                    if let Err(e) = body.write_all(&buf[..n]) {
                        break Err((false, None, format!("cannot store the download: {e}")));
                    }
                    progress.advance(n as u64);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    break Err((
                        true,
                        None,
                        format!("download cut short after {total} bytes: {e}"),
                    ));
                }
            }
        };
        progress.end();
        r?;
        if let Some(l) = len
            && total != l
        {
            return Err((
                true,
                None,
                format!("download cut short: {total} of {l} bytes"),
            ));
        }
        Ok(Some(validators))
    }
}

/// A download target that can be emptied before a retry.
pub trait SinkReset {
    fn reset(&mut self);
}

impl SinkReset for Vec<u8> {
    fn reset(&mut self) {
        self.clear();
    }
}

impl SinkReset for std::fs::File {
    fn reset(&mut self) {
        let _ = self.set_len(0);
        let _ = self.rewind();
    }
}
