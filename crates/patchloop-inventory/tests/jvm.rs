//! The Maven, Gradle and NuGet parsers on the real files of the shared
//! corpus (`../shared/data/lockfiles`). Expected values were read from the
//! files themselves (grep / python), not copied from parser output.

use patchloop_inventory::{Format, Limits, Parsed, parse_bytes, parse_path, parse_str};
use patchloop_model::{Package, Relation, Resolution, Scope};

fn load(rel: &str, format: Format) -> Option<(Parsed, Vec<u8>)> {
    let path = patchloop_testdata::shared_data(rel)?;
    let parsed = parse_path(&path, rel, format, Limits::default())
        .unwrap_or_else(|e| panic!("{rel}: {e} (line {:?})", e.line));
    let bytes = std::fs::read(&path).expect("read");
    Some((parsed, bytes))
}

fn get<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
    p.source
        .packages
        .iter()
        .find(|x| x.name == name && x.version == version)
        .unwrap_or_else(|| panic!("{name} {version} not found"))
}

/// Cut the file at many offsets (including inside multi-byte characters):
/// the parser may fail but must not panic.
fn truncations_do_not_panic(format: Format, bytes: &[u8]) {
    let mut cuts: Vec<usize> = (0..bytes.len())
        .step_by((bytes.len() / 300).max(1))
        .collect();
    for (i, b) in bytes.iter().enumerate() {
        // The middle of each multi-byte character.
        if *b >= 0xC0 {
            cuts.push(i + 1);
        }
    }
    cuts.extend([1, 2, bytes.len().saturating_sub(1)]);
    for n in cuts {
        let n = n.min(bytes.len());
        let _ = parse_bytes(format, "cut", &bytes[..n]);
        if let Ok(s) = std::str::from_utf8(&bytes[..n]) {
            let _ = parse_str(format, "cut", s);
        }
    }
}

#[test]
fn webgoat_pom() {
    let rel = "lockfiles/Maven/webgoat-v2023.8__pom.xml";
    let Some((p, bytes)) = load(rel, Format::PomXml) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "pom-xml");
    assert_eq!(s.format_version.as_deref(), Some("4.0.0"));
    // 39 <dependencies> entries, 4 dependencyManagement-only entries
    // (asm, webdrivermanager, commons-compress, jruby) and the external
    // parent.
    assert_eq!(s.packages.len(), 44);
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, "org.owasp.webgoat:webgoat");
    assert_eq!(s.roots[0].version, "2023.8");
    assert_eq!(s.roots[0].dependencies.len(), 40);

    // Version from a property through dependencyManagement.
    let xs = get(&p, "com.thoughtworks.xstream:xstream", "1.4.5");
    assert_eq!(xs.purl, "pkg:maven/com.thoughtworks.xstream/xstream@1.4.5");
    assert_eq!(xs.line(), Some(354));
    assert_eq!(xs.locations[0].path, rel);
    assert_eq!(xs.relation, Relation::Direct);
    assert_eq!(xs.scope, Scope::Runtime);
    assert!(xs.resolution.is_exact());
    // Explicit version wins over the managed ${wiremock.version} 2.27.2.
    let wm = get(&p, "com.github.tomakehurst:wiremock", "3.0.0-beta-2");
    assert_eq!(wm.line(), Some(431));
    assert_eq!(wm.scope, Scope::Dev);
    assert!(
        s.packages
            .iter()
            .all(|x| !(x.name == "com.github.tomakehurst:wiremock" && x.version == "2.27.2"))
    );
    // Version from a property directly.
    let jaxb = get(&p, "javax.xml.bind:jaxb-api", "2.3.1");
    assert_eq!(jaxb.line(), Some(287));
    // Managed-only: pinned for transitive use, relation unknown.
    let cc = get(&p, "org.apache.commons:commons-compress", "1.25.0");
    assert_eq!(cc.line(), Some(260));
    assert_eq!(cc.relation, Relation::Unknown);
    assert!(!s.roots[0].dependencies.contains(&cc.id));

    // Managed by spring-boot-starter-parent 3.1.5, which is not in the tree.
    let unresolved: Vec<&Package> = s
        .packages
        .iter()
        .filter(|x| !x.resolution.is_exact())
        .collect();
    assert_eq!(unresolved.len(), 20);
    let spec =
        "unresolved: managed by parent org.springframework.boot:spring-boot-starter-parent:3.1.5";
    for u in &unresolved {
        assert_eq!(u.version, "");
        assert_eq!(
            u.resolution,
            Resolution::Requirement {
                spec: spec.to_string()
            },
            "{}",
            u.name
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.line == u.line() && w.message.contains(&u.name))
        );
    }
    let web = get(&p, "org.springframework.boot:spring-boot-starter-web", "");
    assert_eq!(web.line(), Some(296));
    assert_eq!(
        web.purl,
        "pkg:maven/org.springframework.boot/spring-boot-starter-web"
    );
    let lombok = get(&p, "org.projectlombok:lombok", "");
    assert_eq!(lombok.line(), Some(281));
    assert_eq!(lombok.scope, Scope::Build, "provided (+ optional)");
    let ra = get(&p, "io.rest-assured:rest-assured", "");
    assert_eq!(ra.scope, Scope::Dev);
    let impl_ = get(&p, "com.sun.xml.bind:jaxb-impl", "");
    assert_eq!(impl_.line(), Some(415));
    assert_eq!(impl_.scope, Scope::Runtime);

    let parent = get(
        &p,
        "org.springframework.boot:spring-boot-starter-parent",
        "3.1.5",
    );
    assert_eq!(parent.line(), Some(5));
    assert_eq!(parent.scope, Scope::Build);
    assert_eq!(
        parent.purl,
        "pkg:maven/org.springframework.boot/spring-boot-starter-parent@3.1.5?type=pom"
    );
    assert_eq!(p.warnings.len(), 20);

    truncations_do_not_panic(Format::PomXml, &bytes);
}

#[test]
fn vulnerable_java_application_gradle_lockfile() {
    let rel = "lockfiles/Maven/vulnerable-java-application__gradle.lockfile";
    let Some((p, bytes)) = load(rel, Format::GradleLockfile) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "gradle-lockfile");
    assert_eq!(s.packages.len(), 68);
    assert!(p.warnings.is_empty());
    assert!(s.packages.iter().all(|x| x.relation == Relation::Unknown));
    assert!(s.packages.iter().all(|x| x.dependencies.is_empty()));

    let snake = get(&p, "org.yaml:snakeyaml", "2.2");
    assert_eq!(snake.purl, "pkg:maven/org.yaml/snakeyaml@2.2");
    assert_eq!(snake.line(), Some(71));
    assert_eq!(snake.scope, Scope::Runtime);
    assert_eq!(snake.locations[0].path, rel);
    let tomcat = get(&p, "org.apache.tomcat.embed:tomcat-embed-core", "10.1.20");
    assert_eq!(tomcat.line(), Some(27));
    assert_eq!(tomcat.scope, Scope::Runtime);
    let smart = get(&p, "net.minidev:json-smart", "2.5.1");
    assert_eq!(smart.line(), Some(24));
    assert_eq!(smart.scope, Scope::Dev);
    let engine = get(&p, "org.junit.jupiter:junit-jupiter-engine", "5.10.2");
    assert_eq!(engine.line(), Some(35));
    assert_eq!(engine.scope, Scope::Dev);
    let lombok = get(&p, "org.projectlombok:lombok", "1.18.32");
    assert_eq!(lombok.line(), Some(47));
    assert_eq!(lombok.scope, Scope::Build);

    let count = |sc: Scope| s.packages.iter().filter(|x| x.scope == sc).count();
    // 36 lines name a runtime classpath, lombok is compile-only + annotation
    // processor, the other 31 are test-only.
    assert_eq!(count(Scope::Runtime), 36);
    assert_eq!(count(Scope::Build), 1);
    assert_eq!(count(Scope::Dev), 31);

    truncations_do_not_panic(Format::GradleLockfile, &bytes);
}

#[test]
fn bitwarden_packages_lock() {
    let rel = "lockfiles/NuGet/bitwarden-server-2022-03__packages.lock.json";
    let Some((p, bytes)) = load(rel, Format::NugetLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "nuget-lock");
    assert_eq!(s.format_version.as_deref(), Some("1"));
    // 315 entries for net5.0: 4 Direct + 306 Transitive registry packages
    // and 5 local projects (type Project).
    assert_eq!(s.packages.len(), 315);
    assert!(p.warnings.is_empty());
    let local: Vec<&Package> = s
        .packages
        .iter()
        .filter(|x| matches!(x.resolution, Resolution::Path { .. }))
        .collect();
    assert_eq!(local.len(), 5);
    assert!(local.iter().all(|x| x.version.is_empty()));
    let direct = s
        .packages
        .iter()
        .filter(|x| x.relation == Relation::Direct)
        .count();
    // 4 Direct packages + the projects `commcore` and `sharedweb`, which no
    // other entry depends on.
    assert_eq!(direct, 6);
    assert_eq!(s.roots[0].dependencies.len(), 6);
    assert!(
        s.packages
            .iter()
            .filter(|x| x.relation != Relation::Direct)
            .all(|x| x.relation == Relation::Transitive)
    );
    assert!(s.packages.iter().all(|x| x.scope == Scope::Runtime));

    let nj = get(&p, "Newtonsoft.Json", "12.0.3");
    assert_eq!(nj.purl, "pkg:nuget/Newtonsoft.Json@12.0.3");
    assert_eq!(nj.line(), Some(1419));
    assert_eq!(nj.relation, Relation::Transitive);
    assert_eq!(
        nj.checksums,
        vec![
            "sha512-6mgjfnRB4jKMlzHSl+VD+oUc1IebOZabkbyWj2RiTgWwYPPuaK1H97G1sHqGwPlS5npiF5Q0OrxN1wni2n5QWg=="
                .to_string()
        ]
    );
    let eg = get(&p, "Azure.Messaging.EventGrid", "4.7.0");
    assert_eq!(eg.line(), Some(5));
    assert_eq!(eg.relation, Relation::Direct);
    // Requests System.Text.Json 4.6.0; the edge goes to the resolved 4.7.2.
    assert_eq!(
        eg.dependencies,
        vec![
            "pkg:nuget/Azure.Core@1.20.0".to_string(),
            "pkg:nuget/System.Memory.Data@1.0.2".to_string(),
            "pkg:nuget/System.Text.Json@4.7.2".to_string(),
        ]
    );
    let npgsql = get(&p, "Npgsql", "5.0.2");
    assert_eq!(npgsql.line(), Some(1432));
    let core = get(&p, "core", "");
    assert_eq!(core.line(), Some(3367));
    assert_eq!(core.relation, Relation::Transitive);
    assert_eq!(core.dependencies.len(), 34);
    assert!(core.dependencies.contains(&nj.id));
    // The path from the project to a vulnerable transitive package.
    let paths = s.paths_to(&nj.id, 3);
    assert!(!paths.is_empty());

    truncations_do_not_panic(Format::NugetLock, &bytes);
}

#[test]
fn corpus_is_fast() {
    let files = [
        ("lockfiles/Maven/webgoat-v2023.8__pom.xml", Format::PomXml),
        (
            "lockfiles/Maven/vulnerable-java-application__gradle.lockfile",
            Format::GradleLockfile,
        ),
        (
            "lockfiles/NuGet/bitwarden-server-2022-03__packages.lock.json",
            Format::NugetLock,
        ),
    ];
    let mut texts = Vec::new();
    for (rel, f) in files {
        let Some(path) = patchloop_testdata::shared_data(rel) else {
            return;
        };
        texts.push((std::fs::read_to_string(path).expect("read"), f));
    }
    let start = std::time::Instant::now();
    for (t, f) in &texts {
        parse_str(*f, "x", t).expect("parses");
    }
    // Generous even for a debug build; release is well under 5 ms.
    assert!(start.elapsed().as_millis() < 2000, "{:?}", start.elapsed());
}

mod mutations {
    use super::*;
    use proptest::prelude::*;

    const SAMPLES: &[(Format, &str)] = &[
        (
            Format::PomXml,
            "<project><parent><groupId>p</groupId><artifactId>q</artifactId><version>1</version></parent>\
             <artifactId>a</artifactId><properties><v>${w}</v><w>2</w></properties>\
             <dependencyManagement><dependencies><dependency><groupId>g</groupId><artifactId>m</artifactId>\
             <version>${v}</version><scope>test</scope></dependency></dependencies></dependencyManagement>\
             <dependencies><dependency><groupId>g</groupId><artifactId>m</artifactId></dependency>\
             <dependency><groupId>g</groupId><artifactId>r</artifactId><version>[1,2)</version>\
             <scope>system</scope><systemPath>${basedir}/x.jar</systemPath></dependency></dependencies>\
             <profiles><profile><id>x</id><dependencies><dependency><groupId>h</groupId>\
             <artifactId>i</artifactId><version>é</version></dependency></dependencies></profile></profiles></project>",
        ),
        (
            Format::GradleLockfile,
            "# c\na:b:1=compileClasspath,testRuntimeClasspath\nc:d:2=annotationProcessor\nempty=x\n",
        ),
        (
            Format::NugetLock,
            "{\"version\":2,\"dependencies\":{\"net6.0\":{\"A\":{\"type\":\"Direct\",\"requested\":\"[1.0, )\",\
             \"resolved\":\"1.0\",\"contentHash\":\"x\",\"dependencies\":{\"b\":\"2.0\"}},\
             \"B\":{\"type\":\"Transitive\",\"resolved\":\"2.0\"},\"p\":{\"type\":\"Project\"}}}}",
        ),
        (
            Format::MsBuildProject,
            "<Project><PropertyGroup><V>1.0</V></PropertyGroup><ItemGroup>\
             <PackageReference Include=\"A\" Version=\"$(V)\" PrivateAssets=\"all\"/>\
             <PackageReference Include=\"B\"><Version>[1.0,2.0)</Version></PackageReference>\
             <PackageReference Update=\"A\" Version=\"2\"/><ProjectReference Include=\"..\\x\\x.csproj\"/>\
             </ItemGroup></Project>",
        ),
        (
            Format::DirectoryPackagesProps,
            "<Project><ItemGroup><PackageVersion Include=\"A\" Version=\"1.0\"/>\
             <GlobalPackageReference Include=\"G\" Version=\"3\"/></ItemGroup></Project>",
        ),
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn mutated_inputs_never_panic(
            which in 0..SAMPLES.len(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8),
        ) {
            let (format, text) = SAMPLES[which];
            let mut bytes = text.as_bytes().to_vec();
            for (at, byte, op) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match op {
                    0 => bytes[i] = byte,
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, byte),
                }
            }
            let _ = parse_bytes(format, "m", &bytes);
        }
    }
}
