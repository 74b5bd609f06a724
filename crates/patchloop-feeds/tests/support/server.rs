//! A small HTTP/1.1 server on 127.0.0.1 for sync tests: serves byte
//! bodies by path, honours If-None-Match / If-Modified-Since with 304,
//! counts requests per path, and can fail on purpose (status codes,
//! bodies cut short). One thread per connection, `Connection: close`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fail {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Announce the full length, send this many bytes, then close.
    CutAfter(usize),
}

#[derive(Clone, Debug, Default)]
pub struct Resource {
    pub body: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fail: Option<Fail>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Resource>,
    hits: HashMap<String, usize>,
    /// (path, If-None-Match, If-Modified-Since) of every request.
    log: Vec<(String, Option<String>, Option<String>)>,
    /// Request headers (lowercased names) of the last request per path.
    headers: HashMap<String, Vec<(String, String)>>,
    not_modified: usize,
}

#[derive(Clone)]
pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                std::thread::spawn(move || {
                    let _ = handle(conn, &st);
                });
            }
        });
        Server { base, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn put(&self, path: &str, body: Vec<u8>) {
        self.put_resource(
            path,
            Resource {
                body,
                ..Resource::default()
            },
        );
    }

    pub fn put_resource(&self, path: &str, r: Resource) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), r);
    }

    pub fn set_fail(&self, path: &str, fail: Option<Fail>) {
        if let Some(r) = self.state.lock().unwrap().routes.get_mut(path) {
            r.fail = fail;
        }
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Paths requested (with counts) since the last reset.
    pub fn all_hits(&self) -> HashMap<String, usize> {
        self.state.lock().unwrap().hits.clone()
    }

    pub fn not_modified(&self) -> usize {
        self.state.lock().unwrap().not_modified
    }

    pub fn log(&self) -> Vec<(String, Option<String>, Option<String>)> {
        self.state.lock().unwrap().log.clone()
    }

    /// The value of request header `name` in the last request for `path`.
    pub fn request_header(&self, path: &str, name: &str) -> Option<String> {
        let s = self.state.lock().unwrap();
        let name = name.to_ascii_lowercase();
        s.headers
            .get(path)?
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }

    pub fn reset_counts(&self) {
        let mut s = self.state.lock().unwrap();
        s.hits.clear();
        s.log.clear();
        s.headers.clear();
        s.not_modified = 0;
    }
}

fn handle(conn: TcpStream, st: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let raw_path = parts.next().unwrap_or("/").to_string();
    let path = percent_decode(raw_path.split('?').next().unwrap_or("/"));
    let mut inm = None;
    let mut ims = None;
    let mut all_headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            all_headers.push((k.trim().to_ascii_lowercase(), v.clone()));
            match k.trim().to_ascii_lowercase().as_str() {
                "if-none-match" => inm = Some(v),
                "if-modified-since" => ims = Some(v),
                _ => {}
            }
        }
    }
    let mut out = conn;
    let res = {
        let mut s = st.lock().unwrap();
        *s.hits.entry(path.clone()).or_default() += 1;
        s.log.push((path.clone(), inm.clone(), ims.clone()));
        s.headers.insert(path.clone(), all_headers);
        let r = s.routes.get(&path).cloned();
        if let Some(r) = &r {
            let etag_match = r.etag.is_some() && inm.is_some() && r.etag == inm;
            let lm_match = inm.is_none() && r.last_modified.is_some() && r.last_modified == ims;
            if r.fail.is_none() && (etag_match || lm_match) {
                s.not_modified += 1;
            }
        }
        r
    };
    if method != "GET" {
        return write!(
            out,
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
    let Some(r) = res else {
        return write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    };
    match &r.fail {
        Some(Fail::Status(code)) => {
            return write!(
                out,
                "HTTP/1.1 {code} Failing\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        Some(Fail::CutAfter(n)) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                r.body.len()
            )?;
            out.write_all(&r.body[..(*n).min(r.body.len())])?;
            out.flush()?;
            return out.shutdown(std::net::Shutdown::Both);
        }
        None => {}
    }
    let etag_match = r.etag.is_some() && inm.is_some() && r.etag == inm;
    let lm_match = inm.is_none() && r.last_modified.is_some() && r.last_modified == ims;
    let mut headers = String::new();
    if let Some(e) = &r.etag {
        headers.push_str(&format!("ETag: {e}\r\n"));
    }
    if let Some(l) = &r.last_modified {
        headers.push_str(&format!("Last-Modified: {l}\r\n"));
    }
    if etag_match || lm_match {
        return write!(
            out,
            "HTTP/1.1 304 Not Modified\r\n{headers}Connection: close\r\n\r\n"
        );
    }
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{headers}Connection: close\r\n\r\n",
        r.body.len()
    )?;
    out.write_all(&r.body)?;
    out.flush()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
