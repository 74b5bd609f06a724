//! Gradle dependency lockfiles: `gradle.lockfile` (one file per project,
//! Gradle 6.8+: `group:artifact:version=conf1,conf2`) and the older
//! per-configuration `gradle/dependency-locks/<configuration>.lockfile`
//! (`group:artifact:version` lines). Gradle does not record which
//! dependencies are direct, nor the edges between them, so every package
//! has relation `unknown`; the scope comes from the configurations.

use patchloop_model::{Ecosystem, Package, Relation, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

pub fn parse(input: &Input) -> ParseResult {
    let source = SourceFile::new(input.display, "gradle-lockfile", Ecosystem::MAVEN);
    let mut parsed = Parsed::new(source);
    // Old per-configuration files name their configuration in the file name.
    let file_name = input.display.rsplit(['/', '\\']).next().unwrap_or("");
    let file_conf = file_name
        .strip_suffix(".lockfile")
        .filter(|c| *c != "gradle" && !c.ends_with("-gradle"));
    let mut set = PackageSet::new();
    let mut content_lines = 0usize;
    let mut saw_empty = false;
    for (i, raw) in input.text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        content_lines += 1;
        let (coords, confs) = match line.split_once('=') {
            Some((c, confs)) => (c.trim(), Some(confs.trim())),
            None => (line, None),
        };
        if coords == "empty" && confs.is_some() {
            saw_empty = true;
            continue;
        }
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            parsed.warn(
                Some(line_no),
                format!("`{line}` is not `group:artifact:version=configurations`; skipped"),
            );
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            parsed.warn(
                Some(line_no),
                format!("`{line}` has an empty coordinate; skipped"),
            );
            continue;
        }
        let confs: Vec<&str> = match confs {
            Some(c) => c
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect(),
            None => file_conf.into_iter().collect(),
        };
        let scope = confs
            .iter()
            .map(|c| configuration_scope(c))
            .max()
            .unwrap_or(Scope::Runtime);
        let mut p = Package::new(Ecosystem::MAVEN, format!("{group}:{artifact}"), *version)
            .with_location(input.display, Some(line_no))
            .with_relation(Relation::Unknown);
        p.scope = scope;
        set.insert(p);
    }
    if set.is_empty() && content_lines > 0 && !saw_empty {
        return Err(ParseError::new(
            "not a Gradle lockfile: no `group:artifact:version` line",
        ));
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// What a Gradle configuration is used for.
fn configuration_scope(conf: &str) -> Scope {
    let lower = conf.to_ascii_lowercase();
    // test*, *Test* (testCompileClasspath, androidTestRuntimeClasspath,
    // debugUnitTestRuntimeClasspath, integrationTestRuntimeClasspath),
    // Spring Boot's developmentOnly / testAndDevelopmentOnly.
    if conf.starts_with("test") || conf.contains("Test") || lower.contains("developmentonly") {
        return Scope::Dev;
    }
    // Annotation processors and Kotlin kapt/ksp, the buildscript classpath.
    if lower.contains("annotationprocessor")
        || lower.starts_with("kapt")
        || lower.starts_with("ksp")
        || conf == "classpath"
    {
        return Scope::Build;
    }
    // A compile classpath alone means compile-only (like Maven `provided`):
    // the package is not shipped with the application.
    if lower.ends_with("compileclasspath") || lower.ends_with("compileonly") {
        return Scope::Build;
    }
    Scope::Runtime
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(display: &str, text: &str) -> Parsed {
        parse(&Input::new(display, text)).unwrap()
    }

    #[test]
    fn unified_lockfile() {
        let t = "# This is a Gradle generated file for dependency locking.\n\
com.google.guava:guava:32.1.3-jre=compileClasspath,runtimeClasspath,testCompileClasspath\n\
org.junit:junit-bom:5.10.2=testCompileClasspath,testRuntimeClasspath\n\
org.projectlombok:lombok:1.18.32=annotationProcessor,compileClasspath\n\
javax.servlet:servlet-api:2.5=compileClasspath\n\
com.squareup:kotlinpoet:1.0=kapt\n\
org.x:dev:1=developmentOnly\n\
org.x:rt:1=productionRuntimeClasspath\n\
bad line\n\
a::1=runtimeClasspath\n\
empty=annotationProcessor,testAnnotationProcessor\n";
        let p = run("app/gradle.lockfile", t);
        let s = &p.source.packages;
        assert_eq!(s.len(), 7);
        let get = |n: &str| s.iter().find(|x| x.name == n).unwrap();
        let g = get("com.google.guava:guava");
        assert_eq!(g.version, "32.1.3-jre");
        assert_eq!(g.purl, "pkg:maven/com.google.guava/guava@32.1.3-jre");
        assert_eq!(g.line(), Some(2));
        assert_eq!(g.scope, Scope::Runtime);
        assert_eq!(g.relation, Relation::Unknown);
        assert_eq!(get("org.junit:junit-bom").scope, Scope::Dev);
        assert_eq!(get("org.projectlombok:lombok").scope, Scope::Build);
        assert_eq!(get("javax.servlet:servlet-api").scope, Scope::Build);
        assert_eq!(get("com.squareup:kotlinpoet").scope, Scope::Build);
        assert_eq!(get("org.x:dev").scope, Scope::Dev);
        assert_eq!(get("org.x:rt").scope, Scope::Runtime);
        assert_eq!(p.warnings.len(), 2);
        assert_eq!(p.warnings[0].line, Some(9));
        assert!(p.source.roots.is_empty());
    }

    #[test]
    fn per_configuration_lockfile() {
        let t = "# comment\norg.a:b:1.0\norg.a:c:2.0\n";
        let p = run("gradle/dependency-locks/testRuntimeClasspath.lockfile", t);
        assert_eq!(p.source.packages.len(), 2);
        assert!(p.source.packages.iter().all(|x| x.scope == Scope::Dev));
        let p = run("gradle/dependency-locks/runtimeClasspath.lockfile", t);
        assert!(p.source.packages.iter().all(|x| x.scope == Scope::Runtime));
    }

    #[test]
    fn configuration_scopes() {
        for (c, s) in [
            ("runtimeClasspath", Scope::Runtime),
            ("releaseRuntimeClasspath", Scope::Runtime),
            ("compileClasspath", Scope::Build),
            ("debugUnitTestRuntimeClasspath", Scope::Dev),
            ("androidTestCompileClasspath", Scope::Dev),
            ("testFixturesRuntimeClasspath", Scope::Dev),
            ("testAndDevelopmentOnly", Scope::Dev),
            ("kaptTest", Scope::Dev),
            ("kaptDebug", Scope::Build),
            ("classpath", Scope::Build),
        ] {
            assert_eq!(configuration_scope(c), s, "{c}");
        }
    }

    #[test]
    fn bad_and_empty() {
        assert!(parse(&Input::new("gradle.lockfile", "this is not a lockfile\n")).is_err());
        let p = run("gradle.lockfile", "# only comments\nempty=\n");
        assert!(p.source.packages.is_empty());
        let p = run("gradle.lockfile", "");
        assert!(p.source.packages.is_empty());
        // Duplicate lines merge.
        let p = run(
            "gradle.lockfile",
            "a:b:1=testCompileClasspath\na:b:1=runtimeClasspath\n",
        );
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.source.packages[0].scope, Scope::Runtime);
        assert_eq!(p.source.packages[0].locations.len(), 2);
    }
}
