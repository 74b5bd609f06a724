//! Registry clients against a loopback HTTP server (or a mirror
//! directory) serving hand-written documents in each registry's real
//! format; the cache (TTL, conditional requests, stale answers, offline);
//! failures and hostile names. Nothing here reaches a public registry.

#[path = "../../patchloop-feeds/tests/support/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use patchloop_feeds::fetch::FetchOptions;
use patchloop_model::Ecosystem;
use patchloop_remedy::registry::{
    DEFAULT_CACHE_TTL, Dep, DepKind, Origin, Registries, Registry, RegistryConfig, RegistryError,
    RegistryUrls, VersionInfo, VersionSource, Versions,
};
use server::{Fail, Resource, Server};

fn options() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(10),
        retries: 0,
        backoff: Duration::from_millis(1),
        max_bytes: 1 << 20,
    }
}

fn config(base: &str, cache_dir: Option<&Path>) -> RegistryConfig {
    RegistryConfig {
        urls: RegistryUrls::all(base),
        cache_dir: cache_dir.map(Path::to_path_buf),
        cache_ttl: DEFAULT_CACHE_TTL,
        offline: false,
        fetch: options(),
    }
}

fn registries(server: &Server) -> Registries {
    Registries::new(config(&server.base, None))
}

fn v(version: &str, yanked: bool) -> VersionInfo {
    VersionInfo {
        yanked,
        ..VersionInfo::new(version)
    }
}

fn with_deps(version: &str, yanked: bool, deps: &[(&str, &str, DepKind)]) -> VersionInfo {
    VersionInfo {
        version: version.into(),
        yanked,
        published: None,
        deps: Some(
            deps.iter()
                .map(|(n, r, k)| Dep {
                    name: n.to_string(),
                    req: r.to_string(),
                    kind: *k,
                })
                .collect(),
        ),
    }
}

fn fresh(versions: Vec<VersionInfo>) -> Versions {
    Versions::new(versions, Origin::Registry)
}

// ---------------------------------------------------------------- formats

const CRATES_IO_OPENSSL: &str = r#"{"name":"openssl","vers":"0.9.24","deps":[{"name":"bitflags","req":"^0.9","features":[],"optional":false,"default_features":true,"target":null},{"name":"openssl-sys","req":"^0.9.24","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}],"cksum":"a3605c26a8f5b4cd8dbbfd0eb1a7d4d62b1e6a7c7e0b1b4b1a1a1a1a1a1a1a1a","features":{},"yanked":false}
{"name":"openssl","vers":"0.10.55","deps":[{"name":"bitflags","req":"^1.0","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"},{"name":"ffi","req":"^0.9.90","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"openssl-sys"},{"name":"tempfile","req":"^3.1","features":[],"optional":false,"default_features":true,"target":null,"kind":"dev"}],"cksum":"345df152bc43501c5eb9e4654ff05f794effb78d4efe3d53abc158baddc0703d","features":{"vendored":["ffi/vendored"]},"yanked":false,"v":2}
{"name":"openssl","vers":"0.10.56","deps":[{"name":"ffi","req":"^0.9.91","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"openssl-sys"}],"cksum":"729b745ad4a5575dd06a3e1af1414bd330ee561c01b3899eb584baeaa8def17e","features":{},"yanked":true}

{"name":"openssl","vers":"0.10.60","deps":[{"name":"ffi","req":"^0.9.96","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"openssl-sys"},{"name":"foreign-types","req":"^0.3.1","features":[],"optional":true,"default_features":true,"target":"cfg(unix)","kind":"normal"},{"name":"autocfg","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"build"}],"cksum":"79a4c6c3a2b158f7f8f2a2fc5a969fa3a068df6fc9dbb4a43845436e3af7c800","features":{},"yanked":false,"rust_version":"1.56"}
{"name":"openssl","vers":"0.11.0-alpha.1","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":false}
"#;

#[test]
fn crates_io_sparse_index() {
    let s = Server::start();
    s.put("/op/en/openssl", CRATES_IO_OPENSSL.into());
    let got = registries(&s)
        .lookup(Registry::CratesIo, "OpenSSL")
        .unwrap();
    use DepKind::*;
    assert_eq!(
        got,
        fresh(vec![
            with_deps(
                "0.9.24",
                false,
                &[
                    ("bitflags", "^0.9", Normal),
                    ("openssl-sys", "^0.9.24", Normal)
                ]
            ),
            with_deps(
                "0.10.55",
                false,
                &[
                    ("bitflags", "^1.0", Normal),
                    ("openssl-sys", "^0.9.90", Normal),
                    ("tempfile", "^3.1", Dev),
                ]
            ),
            with_deps("0.10.56", true, &[("openssl-sys", "^0.9.91", Normal)]),
            with_deps(
                "0.10.60",
                false,
                &[
                    ("openssl-sys", "^0.9.96", Normal),
                    ("foreign-types", "^0.3.1", Optional),
                    ("autocfg", "^1", Build),
                ]
            ),
            with_deps("0.11.0-alpha.1", false, &[]),
        ])
    );
    // Short names use the 1/, 2/ and 3/x/ directories.
    s.put(
        "/1/a",
        br#"{"name":"a","vers":"0.1.0","deps":[],"yanked":false}"#.to_vec(),
    );
    s.put(
        "/2/cc",
        br#"{"name":"cc","vers":"1.0.0","deps":[],"yanked":false}"#.to_vec(),
    );
    s.put(
        "/3/s/syn",
        br#"{"name":"syn","vers":"2.0.0","deps":[],"yanked":false}"#.to_vec(),
    );
    for name in ["a", "cc", "syn"] {
        let got = registries(&s).lookup(Registry::CratesIo, name).unwrap();
        assert_eq!(got.versions.len(), 1, "{name}");
    }
}

const NPM_WIDGET: &str = r#"{
  "name": "@acme/widget",
  "modified": "2024-05-01T10:00:00.000Z",
  "dist-tags": {"latest": "2.1.0", "next": "3.0.0-beta.1"},
  "versions": {
    "1.0.0": {
      "name": "@acme/widget", "version": "1.0.0",
      "dependencies": {"lodash": "^4.17.0"},
      "dist": {"shasum": "3b1e0d8a9f6f2a1b8c7d6e5f4a3b2c1d0e9f8a7b", "tarball": "https://registry.npmjs.org/@acme/widget/-/widget-1.0.0.tgz"},
      "deprecated": "1.0.0 has a prototype pollution bug (CVE-2024-0000), use 1.0.1"
    },
    "1.0.1": {
      "name": "@acme/widget", "version": "1.0.1",
      "dependencies": {"lodash": "^4.17.21", "fsevents": "^2.3.2"},
      "optionalDependencies": {"fsevents": "^2.3.2"},
      "peerDependencies": {"react": ">=16.8"},
      "dist": {"shasum": "4c2f1e9b0a7f3b2c9d8e7f6a5b4c3d2e1f0a9b8c", "tarball": "https://registry.npmjs.org/@acme/widget/-/widget-1.0.1.tgz"}
    },
    "2.1.0": {
      "name": "@acme/widget", "version": "2.1.0",
      "dependencies": {"@acme/core": "~2.1.0", "strip-ansi-cjs": "npm:strip-ansi@^6.0.1"},
      "peerDependencies": {"react": "^18.0.0"},
      "peerDependenciesMeta": {"react": {"optional": true}},
      "engines": {"node": ">=18"},
      "dist": {"shasum": "5d3a2f0c1b8a4c3d0e9f8a7b6c5d4e3f2a1b0c9d", "tarball": "https://registry.npmjs.org/@acme/widget/-/widget-2.1.0.tgz"}
    },
    "3.0.0-beta.1": {
      "name": "@acme/widget", "version": "3.0.0-beta.1",
      "dependencies": {"@acme/core": "^3.0.0-beta.1"},
      "dist": {"shasum": "6e4b3a1d2c9b5d4e1f0a9b8c7d6e5f4a3b2c1d0e", "tarball": "https://registry.npmjs.org/@acme/widget/-/widget-3.0.0-beta.1.tgz"}
    }
  }
}"#;

#[test]
fn npm_scoped_packument() {
    let s = Server::start();
    // The server decodes `%40acme%2Fwidget`.
    s.put("/@acme/widget", NPM_WIDGET.into());
    let got = registries(&s)
        .lookup(Registry::Npm, "@acme/widget")
        .unwrap();
    use DepKind::*;
    assert_eq!(
        got,
        fresh(vec![
            with_deps("1.0.0", true, &[("lodash", "^4.17.0", Normal)]),
            with_deps(
                "1.0.1",
                false,
                &[
                    ("lodash", "^4.17.21", Normal),
                    ("fsevents", "^2.3.2", Optional),
                    ("react", ">=16.8", Peer),
                ]
            ),
            with_deps(
                "2.1.0",
                false,
                &[
                    ("@acme/core", "~2.1.0", Normal),
                    ("strip-ansi", "^6.0.1", Normal),
                    ("react", "^18.0.0", Peer),
                ]
            ),
            with_deps(
                "3.0.0-beta.1",
                false,
                &[("@acme/core", "^3.0.0-beta.1", Normal)]
            ),
        ])
    );
    let accept = s.request_header("/@acme/widget", "Accept").unwrap();
    assert!(
        accept.starts_with("application/vnd.npm.install-v1+json"),
        "{accept}"
    );
}

const PYPI_ZOPE: &str = r#"{
  "info": {"name": "zope.interface", "version": "6.1", "requires_dist": ["setuptools"], "yanked": false},
  "last_serial": 20634531,
  "releases": {
    "4.0.0": [],
    "5.5.2": [
      {"filename": "zope.interface-5.5.2.tar.gz", "packagetype": "sdist", "requires_python": ">=2.7", "size": 252089, "yanked": false, "yanked_reason": null}
    ],
    "6.0": [
      {"filename": "zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl", "packagetype": "bdist_wheel", "yanked": true, "yanked_reason": "broken wheel metadata"},
      {"filename": "zope.interface-6.0.tar.gz", "packagetype": "sdist", "yanked": true, "yanked_reason": "broken wheel metadata"}
    ],
    "6.0a1": [
      {"filename": "zope.interface-6.0a1.tar.gz", "packagetype": "sdist", "yanked": false, "yanked_reason": null}
    ],
    "6.0rc1": [
      {"filename": "zope.interface-6.0rc1.tar.gz", "packagetype": "sdist", "yanked": false, "yanked_reason": null}
    ],
    "6.1": [
      {"filename": "zope.interface-6.1-cp312-cp312-win_amd64.whl", "packagetype": "bdist_wheel", "yanked": true, "yanked_reason": "wrong tag"},
      {"filename": "zope.interface-6.1.tar.gz", "packagetype": "sdist", "yanked": false, "yanked_reason": null}
    ]
  },
  "urls": [],
  "vulnerabilities": []
}"#;

#[test]
fn pypi_json_api_with_normalized_name() {
    let s = Server::start();
    s.put("/pypi/zope-interface/json", PYPI_ZOPE.into());
    let got = registries(&s)
        .lookup(Registry::PyPI, "Zope.Interface")
        .unwrap();
    assert_eq!(
        got,
        fresh(vec![
            v("4.0.0", true),
            v("5.5.2", false),
            v("6.0a1", false),
            v("6.0rc1", false),
            v("6.0", true),
            v("6.1", false),
        ])
    );
}

#[test]
fn go_proxy_list_with_case_escaping() {
    let s = Server::start();
    s.put(
        "/github.com/!burnt!sushi/toml/@v/list",
        b"v1.3.2\nv0.4.1\nv1.4.0-rc.1\nv2.0.0+incompatible\nv1.4.0\n".to_vec(),
    );
    let got = registries(&s)
        .lookup(Registry::Go, "github.com/BurntSushi/toml")
        .unwrap();
    assert_eq!(
        got,
        fresh(vec![
            v("v0.4.1", false),
            v("v1.3.2", false),
            v("v1.4.0-rc.1", false),
            v("v1.4.0", false),
            v("v2.0.0+incompatible", false),
        ])
    );
    // The proxy answers 410 Gone for modules it will not serve.
    s.put_resource(
        "/example.com/gone/@v/list",
        Resource {
            fail: Some(Fail::Status(410)),
            ..Resource::default()
        },
    );
    let err = registries(&s)
        .lookup(Registry::Go, "example.com/gone")
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
}

const RUBYGEMS_NOKOGIRI: &str = r#"[
  {"authors":"Mike Dalessio, Aaron Patterson","built_at":"2023-12-29T00:00:00.000Z","created_at":"2023-12-29T18:01:26.139Z","description":"Nokogiri makes it easy and painless to work with XML and HTML from Ruby.","downloads_count":1054327,"metadata":{"bug_tracker_uri":"https://github.com/sparklemotion/nokogiri/issues"},"number":"1.16.0","summary":"Nokogiri (鋸) makes it easy","platform":"x86_64-linux","rubygems_version":">= 3.3.22","ruby_version":"< 3.4.dev, >= 3.0","prerelease":false,"licenses":["MIT"],"requirements":[],"sha":"0b4ba6a4bd3c4d21a5c2b2a3c6b0e4d2a1f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2"},
  {"authors":"Mike Dalessio, Aaron Patterson","built_at":"2023-12-29T00:00:00.000Z","created_at":"2023-12-29T18:01:20.101Z","description":"Nokogiri makes it easy and painless to work with XML and HTML from Ruby.","downloads_count":88120,"metadata":{},"number":"1.16.0","summary":"Nokogiri (鋸) makes it easy","platform":"java","rubygems_version":">= 0","ruby_version":">= 3.0","prerelease":false,"licenses":["MIT"],"requirements":[],"sha":"1c5cb6a4bd3c4d21a5c2b2a3c6b0e4d2a1f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2"},
  {"authors":"Mike Dalessio, Aaron Patterson","built_at":"2023-12-29T00:00:00.000Z","created_at":"2023-12-29T18:01:10.000Z","description":"Nokogiri makes it easy and painless to work with XML and HTML from Ruby.","downloads_count":301220,"metadata":{},"number":"1.16.0","summary":"Nokogiri (鋸) makes it easy","platform":"ruby","rubygems_version":">= 0","ruby_version":">= 3.0","prerelease":false,"licenses":["MIT"],"requirements":[],"sha":"2d6cb6a4bd3c4d21a5c2b2a3c6b0e4d2a1f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2"},
  {"authors":"Mike Dalessio, Aaron Patterson","built_at":"2023-12-18T00:00:00.000Z","created_at":"2023-12-18T16:30:00.000Z","description":"Nokogiri makes it easy and painless to work with XML and HTML from Ruby.","downloads_count":4120,"metadata":{},"number":"1.16.0.rc1","summary":"Nokogiri (鋸) makes it easy","platform":"ruby","rubygems_version":"> 1.3.1","ruby_version":">= 3.0","prerelease":true,"licenses":["MIT"],"requirements":[],"sha":"3e7cb6a4bd3c4d21a5c2b2a3c6b0e4d2a1f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2"},
  {"authors":"Mike Dalessio, Aaron Patterson","built_at":"2023-11-17T00:00:00.000Z","created_at":"2023-11-17T19:00:00.000Z","description":"Nokogiri makes it easy and painless to work with XML and HTML from Ruby.","downloads_count":2883012,"metadata":{},"number":"1.15.5","summary":"Nokogiri (鋸) makes it easy","platform":"ruby","rubygems_version":">= 0","ruby_version":">= 2.7.0","prerelease":false,"licenses":["MIT"],"requirements":[],"sha":"4f8cb6a4bd3c4d21a5c2b2a3c6b0e4d2a1f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2"}
]"#;

#[test]
fn rubygems_versions_one_per_number() {
    let s = Server::start();
    s.put("/api/v1/versions/nokogiri.json", RUBYGEMS_NOKOGIRI.into());
    let got = registries(&s)
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    let at = |ver: &str, t: &str| VersionInfo {
        published: Some(t.into()),
        ..v(ver, false)
    };
    assert_eq!(
        got,
        fresh(vec![
            at("1.15.5", "2023-11-17T19:00:00.000Z"),
            at("1.16.0.rc1", "2023-12-18T16:30:00.000Z"),
            // The earliest of its three platforms.
            at("1.16.0", "2023-12-29T18:01:10.000Z")
        ])
    );
}

const PACKAGIST_MONOLOG: &str = r#"{"packages":{"monolog/monolog":[
{"name":"monolog/monolog","description":"Sends your logs to files, sockets, inboxes, databases and various web services","keywords":["log","logging","psr-3"],"homepage":"https://github.com/Seldaek/monolog","version":"3.5.0","version_normalized":"3.5.0.0","license":["MIT"],"authors":[{"name":"Jordi Boggiano","email":"j.boggiano@seld.be","homepage":"https://seld.be"}],"source":{"url":"https://github.com/Seldaek/monolog.git","type":"git","reference":"c915e2634718dbc8a4a15c61b0e62e7a44e14448"},"dist":{"url":"https://api.github.com/repos/Seldaek/monolog/zipball/c915e2634718dbc8a4a15c61b0e62e7a44e14448","type":"zip","shasum":"","reference":"c915e2634718dbc8a4a15c61b0e62e7a44e14448"},"type":"library","time":"2023-10-27T15:32:31+00:00","autoload":{"psr-4":{"Monolog\\":"src/Monolog"}},"require":{"php":">=8.1","psr/log":"^2.0 || ^3.0"},"require-dev":{"phpunit/phpunit":"^10.1","predis/predis":"^1.1 || ^2"},"suggest":{"ext-mbstring":"Allow to work properly with unicode symbols"},"provide":{"psr/log-implementation":"3.0.0"}},
{"version":"3.0.0-RC1","version_normalized":"3.0.0.0-RC1","source":{"url":"https://github.com/Seldaek/monolog.git","type":"git","reference":"cce6d8a1e8bfb1e8e7ed8b8e7bce0a8c9e5b8f3a"},"dist":{"url":"https://api.github.com/repos/Seldaek/monolog/zipball/cce6d8a1e8bfb1e8e7ed8b8e7bce0a8c9e5b8f3a","type":"zip","shasum":"","reference":"cce6d8a1e8bfb1e8e7ed8b8e7bce0a8c9e5b8f3a"},"time":"2022-05-08T21:50:49+00:00","require-dev":"__unset","suggest":"__unset"},
{"version":"2.9.2","version_normalized":"2.9.2.0","time":"2023-10-27T15:25:26+00:00","require":{"php":">=7.2","psr/log":"^1.0.1 || ^2.0 || ^3.0"},"require-dev":{"phpunit/phpunit":"^8.5.38 || ^9.6.13"},"provide":{"psr/log-implementation":"1.0.0 || 2.0.0 || 3.0.0"}},
{"version":"1.27.1","version_normalized":"1.27.1.0","time":"2022-06-09T08:53:42+00:00","require":{"php":">=5.3.0","psr/log":"~1.0"},"provide":"__unset"}
]},"minified":"composer/2.0"}"#;

#[test]
fn packagist_minified_metadata() {
    let s = Server::start();
    s.put("/p2/monolog/monolog.json", PACKAGIST_MONOLOG.into());
    let got = registries(&s)
        .lookup(Registry::Packagist, "Monolog/Monolog")
        .unwrap();
    use DepKind::*;
    let dated = |mut v: VersionInfo, t: &str| {
        v.published = Some(t.into());
        v
    };
    assert_eq!(
        got,
        fresh(vec![
            dated(
                with_deps(
                    "1.27.1",
                    false,
                    &[
                        ("php", ">=5.3.0", Normal),
                        ("psr/log", "~1.0", Normal),
                        // Inherited from 2.9.2: minified entries carry only changes.
                        ("phpunit/phpunit", "^8.5.38 || ^9.6.13", Dev),
                    ]
                ),
                "2022-06-09T08:53:42+00:00",
            ),
            dated(
                with_deps(
                    "2.9.2",
                    false,
                    &[
                        ("php", ">=7.2", Normal),
                        ("psr/log", "^1.0.1 || ^2.0 || ^3.0", Normal),
                        ("phpunit/phpunit", "^8.5.38 || ^9.6.13", Dev),
                    ]
                ),
                "2023-10-27T15:25:26+00:00",
            ),
            dated(
                with_deps(
                    "3.0.0-RC1",
                    false,
                    &[
                        ("php", ">=8.1", Normal),
                        ("psr/log", "^2.0 || ^3.0", Normal)
                    ]
                ),
                "2022-05-08T21:50:49+00:00",
            ),
            dated(
                with_deps(
                    "3.5.0",
                    false,
                    &[
                        ("php", ">=8.1", Normal),
                        ("psr/log", "^2.0 || ^3.0", Normal),
                        ("phpunit/phpunit", "^10.1", Dev),
                        ("predis/predis", "^1.1 || ^2", Dev),
                    ]
                ),
                "2023-10-27T15:32:31+00:00",
            )
        ])
    );
}

const MAVEN_LOG4J: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata modelVersion="1.1.0">
  <groupId>org.apache.logging.log4j</groupId>
  <artifactId>log4j-core</artifactId>
  <versioning>
    <latest>2.17.1</latest>
    <release>2.17.1</release>
    <versions>
      <version>2.0-beta9</version>
      <version>2.0-rc1</version>
      <version>2.0</version>
      <version>2.14.1</version>
      <version>2.15.0</version>
      <version>2.16.0</version>
      <version>2.17.1</version>
    </versions>
    <lastUpdated>20211228062409</lastUpdated>
  </versioning>
</metadata>
"#;

#[test]
fn maven_metadata() {
    let s = Server::start();
    s.put(
        "/org/apache/logging/log4j/log4j-core/maven-metadata.xml",
        MAVEN_LOG4J.into(),
    );
    let got = registries(&s)
        .lookup(Registry::Maven, "org.apache.logging.log4j:log4j-core")
        .unwrap();
    assert_eq!(
        got,
        fresh(
            [
                "2.0-beta9",
                "2.0-rc1",
                "2.0",
                "2.14.1",
                "2.15.0",
                "2.16.0",
                "2.17.1"
            ]
            .iter()
            .map(|x| v(x, false))
            .collect()
        )
    );
}

#[test]
fn nuget_flat_container() {
    let s = Server::start();
    s.put(
        "/newtonsoft.json/index.json",
        br#"{"versions":["13.0.2","3.5.8","12.0.3","13.0.1","13.0.2-beta1"]}"#.to_vec(),
    );
    let got = registries(&s)
        .lookup(Registry::NuGet, "Newtonsoft.Json")
        .unwrap();
    assert_eq!(
        got,
        fresh(vec![
            v("3.5.8", false),
            v("12.0.3", false),
            v("13.0.1", false),
            v("13.0.2-beta1", false),
            v("13.0.2", false),
        ])
    );
}

#[test]
fn dispatch_by_ecosystem() {
    let s = Server::start();
    s.put(
        "/newtonsoft.json/index.json",
        br#"{"versions":["13.0.1"]}"#.to_vec(),
    );
    let r = registries(&s);
    let src: &dyn VersionSource = &r;
    let got = src.versions(&Ecosystem::NUGET, "Newtonsoft.Json").unwrap();
    assert_eq!(got.versions, vec![v("13.0.1", false)]);
    let err = src
        .versions(&Ecosystem::parse("Debian:12"), "openssl")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unsupported { .. }), "{err}");
    assert_eq!(s.all_hits().len(), 1);
}

// ------------------------------------------------------------------ cache

#[test]
fn a_second_call_within_the_ttl_makes_no_request() {
    let s = Server::start();
    s.put("/op/en/openssl", CRATES_IO_OPENSSL.into());
    let dir = tempfile::tempdir().unwrap();
    let r = Registries::new(config(&s.base, Some(dir.path())));
    let first = r.lookup(Registry::CratesIo, "openssl").unwrap();
    assert_eq!(first.origin, Origin::Registry);
    let second = r.lookup(Registry::CratesIo, "openssl").unwrap();
    assert_eq!(second.origin, Origin::Cache);
    assert!(!second.stale);
    assert_eq!(second.versions, first.versions);
    // Also across instances (a new process).
    let again = Registries::new(config(&s.base, Some(dir.path())));
    assert_eq!(
        again.lookup(Registry::CratesIo, "openssl").unwrap().origin,
        Origin::Cache
    );
    assert_eq!(s.hits("/op/en/openssl"), 1);
}

fn stale_cache_revalidates(resource: Resource, check: impl Fn(&Option<String>, &Option<String>)) {
    let s = Server::start();
    s.put_resource("/@acme/widget", resource);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.base, Some(dir.path()));
    cfg.cache_ttl = Duration::ZERO;
    let r = Registries::new(cfg.clone());
    let first = r.lookup(Registry::Npm, "@acme/widget").unwrap();
    let second = r.lookup(Registry::Npm, "@acme/widget").unwrap();
    assert_eq!(s.hits("/@acme/widget"), 2);
    assert_eq!(s.not_modified(), 1);
    let log = s.log();
    check(&log[1].1, &log[1].2);
    // 304: the cached versions, confirmed by the registry.
    assert_eq!(second, first);
    // The 304 refreshed the cache: with a TTL it is fresh again.
    cfg.cache_ttl = DEFAULT_CACHE_TTL;
    let third = Registries::new(cfg)
        .lookup(Registry::Npm, "@acme/widget")
        .unwrap();
    assert_eq!((third.origin, third.stale), (Origin::Cache, false));
    assert_eq!(s.hits("/@acme/widget"), 2);
}

#[test]
fn a_stale_cache_sends_if_none_match_and_takes_304() {
    stale_cache_revalidates(
        Resource {
            body: NPM_WIDGET.into(),
            etag: Some("\"w-1\"".into()),
            ..Resource::default()
        },
        |inm, _| assert_eq!(inm.as_deref(), Some("\"w-1\"")),
    );
}

#[test]
fn a_stale_cache_sends_if_modified_since_and_takes_304() {
    stale_cache_revalidates(
        Resource {
            body: NPM_WIDGET.into(),
            last_modified: Some("Wed, 01 May 2024 10:00:00 GMT".into()),
            ..Resource::default()
        },
        |inm, ims| {
            assert_eq!(inm, &None);
            assert_eq!(ims.as_deref(), Some("Wed, 01 May 2024 10:00:00 GMT"));
        },
    );
}

#[test]
fn a_changed_document_replaces_the_cached_one() {
    let s = Server::start();
    let path = "/newtonsoft.json/index.json";
    s.put_resource(
        path,
        Resource {
            body: br#"{"versions":["1.0.0"]}"#.to_vec(),
            etag: Some("\"a\"".into()),
            ..Resource::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.base, Some(dir.path()));
    cfg.cache_ttl = Duration::ZERO;
    let r = Registries::new(cfg);
    assert_eq!(
        r.lookup(Registry::NuGet, "newtonsoft.json")
            .unwrap()
            .versions
            .len(),
        1
    );
    s.put_resource(
        path,
        Resource {
            body: br#"{"versions":["1.0.0","1.0.1"]}"#.to_vec(),
            etag: Some("\"b\"".into()),
            ..Resource::default()
        },
    );
    let got = r.lookup(Registry::NuGet, "newtonsoft.json").unwrap();
    assert_eq!(got, fresh(vec![v("1.0.0", false), v("1.0.1", false)]));
    assert_eq!(s.not_modified(), 0);
    // The new validators are the ones sent next.
    r.lookup(Registry::NuGet, "newtonsoft.json").unwrap();
    assert_eq!(s.log()[2].1.as_deref(), Some("\"b\""));
    assert_eq!(s.not_modified(), 1);
}

#[test]
fn a_failing_registry_gets_the_stale_cached_answer() {
    let s = Server::start();
    let path = "/api/v1/versions/nokogiri.json";
    s.put(path, RUBYGEMS_NOKOGIRI.into());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.base, Some(dir.path()));
    cfg.cache_ttl = Duration::ZERO;
    let first = Registries::new(cfg.clone())
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();

    // The server fails.
    s.set_fail(path, Some(Fail::Status(503)));
    let got = Registries::new(cfg.clone())
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    assert_eq!((got.origin, got.stale), (Origin::Cache, true));
    assert_eq!(got.versions, first.versions);

    // Nothing listens any more.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    cfg.urls = RegistryUrls::all(&gone);
    let got = Registries::new(cfg.clone())
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    assert_eq!((got.origin, got.stale), (Origin::Cache, true));

    // Without a cache that is an error.
    cfg.cache_dir = None;
    let err = Registries::new(cfg)
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable { .. }), "{err}");
}

#[test]
fn offline_uses_the_cache_or_says_offline() {
    let s = Server::start();
    s.put("/api/v1/versions/nokogiri.json", RUBYGEMS_NOKOGIRI.into());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.base, Some(dir.path()));
    cfg.offline = true;
    let err = Registries::new(cfg.clone())
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Offline { .. }), "{err}");
    let mut no_cache = cfg.clone();
    no_cache.cache_dir = None;
    let err = Registries::new(no_cache)
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Offline { .. }), "{err}");
    assert_eq!(s.all_hits().len(), 0);

    // Fill the cache online, then go offline with the entry expired.
    let mut online = cfg.clone();
    online.offline = false;
    Registries::new(online)
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    cfg.cache_ttl = Duration::ZERO;
    let got = Registries::new(cfg.clone())
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    assert_eq!((got.origin, got.stale), (Origin::Cache, true));
    cfg.cache_ttl = DEFAULT_CACHE_TTL;
    let got = Registries::new(cfg)
        .lookup(Registry::RubyGems, "nokogiri")
        .unwrap();
    assert_eq!((got.origin, got.stale), (Origin::Cache, false));
    assert_eq!(s.hits("/api/v1/versions/nokogiri.json"), 1);
}

// --------------------------------------------------------------- failures

/// A valid name per registry and where its document is.
const SAMPLES: [(Registry, &str, &str); 8] = [
    (Registry::CratesIo, "openssl", "/op/en/openssl"),
    (Registry::Npm, "@acme/widget", "/@acme/widget"),
    (Registry::PyPI, "requests", "/pypi/requests/json"),
    (
        Registry::Go,
        "github.com/BurntSushi/toml",
        "/github.com/!burnt!sushi/toml/@v/list",
    ),
    (Registry::RubyGems, "rails", "/api/v1/versions/rails.json"),
    (
        Registry::Packagist,
        "monolog/monolog",
        "/p2/monolog/monolog.json",
    ),
    (
        Registry::Maven,
        "org.apache.logging.log4j:log4j-core",
        "/org/apache/logging/log4j/log4j-core/maven-metadata.xml",
    ),
    (
        Registry::NuGet,
        "Newtonsoft.Json",
        "/newtonsoft.json/index.json",
    ),
];

#[test]
fn a_404_is_not_found_everywhere() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let r = Registries::new(config(&s.base, Some(dir.path())));
    for (reg, name, path) in SAMPLES {
        let err = r.lookup(reg, name).unwrap_err();
        match &err {
            RegistryError::NotFound { url, .. } => assert!(url.starts_with(&s.base), "{url}"),
            other => panic!("{reg:?}: {other}"),
        }
        assert_eq!(s.hits(path), 1, "{reg:?} asked for {:?}", s.all_hits());
    }
}

#[test]
fn a_package_that_disappears_leaves_the_cache() {
    let s = Server::start();
    let path = "/newtonsoft.json/index.json";
    s.put(path, br#"{"versions":["1.0.0"]}"#.to_vec());
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&s.base, Some(dir.path()));
    cfg.cache_ttl = Duration::ZERO;
    Registries::new(cfg.clone())
        .lookup(Registry::NuGet, "newtonsoft.json")
        .unwrap();
    s.set_fail(path, Some(Fail::Status(404)));
    let err = Registries::new(cfg.clone())
        .lookup(Registry::NuGet, "newtonsoft.json")
        .unwrap_err();
    assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
    cfg.offline = true;
    let err = Registries::new(cfg)
        .lookup(Registry::NuGet, "newtonsoft.json")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Offline { .. }), "{err}");
}

#[test]
fn malformed_documents_are_bad_responses_everywhere() {
    let bodies: [&[u8]; 6] = [
        b"{\"versions\": [1, 2",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"\xff\xfe\x00garbage\x00",
        b"[]",
        b"null",
        b"{\"packages\":{},\"releases\":null,\"versions\":{\"1.0\":7}}",
    ];
    for (reg, name, path) in SAMPLES {
        for body in bodies {
            // `[]` is a valid (empty) RubyGems version list.
            if reg == Registry::RubyGems && body == b"[]" {
                continue;
            }
            let s = Server::start();
            s.put(path, body.to_vec());
            let got = registries(&s).lookup(reg, name);
            match got {
                Err(RegistryError::BadResponse { url, reason }) => {
                    assert!(url.starts_with(&s.base), "{url}");
                    assert!(!reason.is_empty());
                }
                other => panic!("{reg:?} {}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}

#[test]
fn oversized_and_cut_short_answers_are_errors() {
    let s = Server::start();
    let path = "/pypi/requests/json";
    let mut huge = br#"{"releases":{"#.to_vec();
    for i in 0..100_000 {
        huge.extend_from_slice(format!(r#""1.{i}":[],"#).as_bytes());
    }
    huge.extend_from_slice(br#""0":[]}}"#);
    assert!(huge.len() > 1 << 20);
    s.put(path, huge.clone());
    let err = registries(&s)
        .lookup(Registry::PyPI, "requests")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("limit"), "{err}");

    s.put_resource(
        path,
        Resource {
            body: PYPI_ZOPE.into(),
            fail: Some(Fail::CutAfter(100)),
            ..Resource::default()
        },
    );
    let err = registries(&s)
        .lookup(Registry::PyPI, "requests")
        .unwrap_err();
    assert!(matches!(err, RegistryError::Unavailable { .. }), "{err}");

    // Deeply nested JSON is refused, not a stack overflow.
    let mut deep = b"{\"releases\":".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    s.put(path, deep);
    let err = registries(&s)
        .lookup(Registry::PyPI, "requests")
        .unwrap_err();
    assert!(matches!(err, RegistryError::BadResponse { .. }), "{err}");
}

/// Every file below `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn hostile_names_stay_in_the_cache_directory() {
    let s = Server::start();
    let root = tempfile::tempdir().unwrap();
    let cache = root.path().join("cache");
    let r = Registries::new(config(&s.base, Some(&cache)));
    let hostile = [
        "../../etc/passwd",
        "..",
        ".",
        "",
        "/etc/passwd",
        "a/../../b",
        "..\\..\\windows",
        "x\0y",
        "@../..",
        "@scope/../../x",
        "..:..",
        "org..x:y",
        "g:..",
        "../..",
        "caf\u{e9}",
        "\u{202e}gnp.exe",
        "%2e%2e%2fetc",
    ];
    for reg in Registry::ALL {
        for name in hostile {
            match r.lookup(reg, name) {
                Err(RegistryError::InvalidName { .. } | RegistryError::NotFound { .. }) => {}
                other => panic!("{reg:?} {name:?}: {other:?}"),
            }
        }
    }
    // Whatever was asked went to the server under its base, never above.
    for path in s.all_hits().keys() {
        assert!(!path.contains("/../") && !path.ends_with("/.."), "{path}");
    }

    // Odd names that are valid get cached inside the cache directory.
    s.put(
        "/@scope/caf\u{e9}",
        br#"{"versions":{"1.0.0":{}}}"#.to_vec(),
    );
    r.lookup(Registry::Npm, "@scope/caf\u{e9}").unwrap();
    s.put("/..a/index.json", br#"{"versions":["1.0.0"]}"#.to_vec());
    r.lookup(Registry::NuGet, "..a").unwrap();
    let all = files(root.path());
    assert_eq!(all.len(), 2, "{all:?}");
    for f in &all {
        assert!(f.starts_with(&cache), "{}", f.display());
        let parent = f.parent().unwrap();
        assert!(
            parent == cache.join("npm") || parent == cache.join("nuget"),
            "{}",
            f.display()
        );
    }
    // And are served from there.
    assert_eq!(
        r.lookup(Registry::Npm, "@scope/caf\u{e9}").unwrap().origin,
        Origin::Cache
    );
}

// ------------------------------------------------------- mirror directory

#[test]
fn a_directory_laid_out_like_the_registry_is_a_mirror() {
    let mirror = tempfile::tempdir().unwrap();
    let put = |rel: &str, body: &[u8]| {
        let p = mirror.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    put("github.com/!burnt!sushi/toml/@v/list", b"v1.4.0\nv1.3.2\n");
    put("@acme/widget", NPM_WIDGET.as_bytes());
    put("newtonsoft.json/index.json", &vec![b' '; (1 << 20) + 1]);
    let cache = tempfile::tempdir().unwrap();
    for base in [
        mirror.path().display().to_string(),
        format!("file://{}", mirror.path().display()),
    ] {
        let mut cfg = config(&base, Some(cache.path()));
        cfg.cache_ttl = Duration::ZERO;
        let r = Registries::new(cfg);
        let got = r
            .lookup(Registry::Go, "github.com/BurntSushi/toml")
            .unwrap();
        assert_eq!(got.versions, vec![v("v1.3.2", false), v("v1.4.0", false)]);
        let got = r.lookup(Registry::Npm, "@acme/widget").unwrap();
        assert_eq!(got.versions.len(), 4);
        let err = r.lookup(Registry::Go, "example.com/missing").unwrap_err();
        assert!(matches!(err, RegistryError::NotFound { .. }), "{err}");
        let err = r.lookup(Registry::NuGet, "Newtonsoft.Json").unwrap_err();
        assert!(matches!(err, RegistryError::BadResponse { .. }), "{err}");
        // A traversal name never reads outside the mirror.
        let err = r.lookup(Registry::Go, "../../etc/passwd").unwrap_err();
        assert!(matches!(err, RegistryError::InvalidName { .. }), "{err}");
    }
}
