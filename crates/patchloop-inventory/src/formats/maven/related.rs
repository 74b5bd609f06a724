//! Paths of related files (parent POMs, modules, Directory.Packages.props),
//! relative to the file being parsed and normalized lexically.

/// The directory part of a '/'-separated path ("" when none).
pub(crate) fn dir_of(path: &str) -> &str {
    match path.rfind(['/', '\\']) {
        Some(i) => &path[..i],
        None => "",
    }
}

/// Join `rel` to `dir` and normalize `.` and `..` lexically; a leading `/`
/// of `dir` is kept.
pub(crate) fn join_path(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in dir.split(['/', '\\']).chain(rel.split(['/', '\\'])) {
        match c {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if dir.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The file name without directory and extension.
pub(crate) fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(join_path("a/b", "../pom.xml"), "a/pom.xml");
        assert_eq!(join_path("", "../pom.xml"), "../pom.xml");
        assert_eq!(join_path("..", "../x/./pom.xml"), "../../x/pom.xml");
        assert_eq!(join_path("a", "b/pom.xml"), "a/b/pom.xml");
        assert_eq!(join_path("/r/a", "../p.xml"), "/r/p.xml");
        assert_eq!(join_path("a", "..\\Core\\Core.csproj"), "Core/Core.csproj");
        assert_eq!(dir_of("a/b/c.xml"), "a/b");
        assert_eq!(dir_of("c.xml"), "");
        assert_eq!(file_stem("src/Api/Api.csproj"), "Api");
        assert_eq!(file_stem("..\\Core\\Core.csproj"), "Core");
        assert_eq!(file_stem("noext"), "noext");
    }
}
