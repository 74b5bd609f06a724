//! Dependency paths of findings, indexed once per source file.
//!
//! [`SourceFile::paths_to`] builds an id index and walks the whole graph
//! from the roots on every call; a scan calls it for every finding, which
//! was half of all instructions of a scan of nushell's Cargo.lock (1,000
//! packages, 70 findings). [`PathIndex`] interns the graph once per file
//! and walks only the target's ancestors (found through reverse edges).
//! Every path to the target runs through its ancestors only, and the
//! breadth-first walk visits them in the same order as `paths_to` does,
//! so the paths are the same, in the same order (a test checks this on
//! packages of every real lockfile).

use std::collections::VecDeque;

use rustc_hash::FxHashMap as HashMap;

use patchloop_model::{Package, Relation, SourceFile};

/// One source file's dependency graph over interned ids, its edges in
/// flat arrays (a vector per node was two allocations per package).
pub(crate) struct PathIndex<'a> {
    /// Node → id: every package id, then ids only named by an edge or a
    /// root (dangling).
    ids: Vec<&'a str>,
    /// Node → the package with that id (the last one, as `paths_to`).
    package: Vec<Option<&'a Package>>,
    /// Node n's dependencies are `deps[deps_at[n]..deps_at[n + 1]]`, in
    /// the package's order (nodes past `deps_at.len() - 1` have none).
    deps: Vec<u32>,
    deps_at: Vec<u32>,
    /// Node n's dependents are `dependents[dependents_at[n]..dependents_at[n + 1]]`.
    dependents: Vec<u32>,
    dependents_at: Vec<u32>,
    /// Where paths start: the roots' dependencies (else the direct
    /// packages), sorted by id, each once.
    starts: Vec<usize>,
    node: HashMap<&'a str, usize>,
    /// Scratch marks reused by every [`Self::paths_to`] call (a call only
    /// touches the target's ancestors; clearing per-node vectors on every
    /// call cost more than the walk on a 10,000-package lockfile): node →
    /// (call that marked it an ancestor, call that set its depth, depth).
    marks: Vec<(u32, u32, usize)>,
    call: u32,
}

impl<'a> PathIndex<'a> {
    pub(crate) fn new(source: &'a SourceFile) -> Self {
        let n_packages = source.packages.len();
        let mut ix = PathIndex {
            ids: Vec::with_capacity(n_packages),
            package: Vec::with_capacity(n_packages),
            deps: Vec::new(),
            deps_at: Vec::new(),
            dependents: Vec::new(),
            dependents_at: Vec::new(),
            starts: Vec::new(),
            node: HashMap::with_capacity_and_hasher(n_packages, Default::default()),
            marks: Vec::new(),
            call: 0,
        };
        for p in &source.packages {
            let n = ix.intern(&p.id);
            ix.package[n] = Some(p);
        }
        // Packages come first, so the nodes with a package are 0..with.
        let with = ix.ids.len();
        let edges: usize = source.packages.iter().map(|p| p.dependencies.len()).sum();
        ix.deps.reserve(edges);
        ix.deps_at.reserve(with + 1);
        for n in 0..with {
            ix.deps_at.push(ix.deps.len() as u32);
            let p = ix.package[n].expect("package node");
            for d in &p.dependencies {
                let m = ix.intern(d);
                ix.deps.push(m as u32);
            }
        }
        ix.deps_at.push(ix.deps.len() as u32);
        // Dependents by counting: for each node, its dependents in the
        // order of the nodes that name it.
        let nodes = ix.ids.len();
        let mut count = vec![0u32; nodes + 1];
        for &d in &ix.deps {
            count[d as usize + 1] += 1;
        }
        for i in 0..nodes {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut dependents = vec![0; ix.deps.len()];
        for n in 0..with {
            for &d in ix.deps_of(n) {
                let at = &mut fill[d as usize];
                dependents[*at as usize] = n as u32;
                *at += 1;
            }
        }
        ix.dependents = dependents;
        ix.dependents_at = count;
        let mut starts: Vec<&'a str> = source
            .roots
            .iter()
            .flat_map(|r| r.dependencies.iter().map(String::as_str))
            .collect();
        if starts.is_empty() {
            starts.extend(
                source
                    .packages
                    .iter()
                    .filter(|p| p.relation == Relation::Direct)
                    .map(|p| p.id.as_str()),
            );
        }
        starts.sort_unstable();
        starts.dedup();
        ix.starts = starts.into_iter().map(|s| ix.intern(s)).collect();
        // Roots may name ids nothing else does: they have no edges.
        let nodes = ix.ids.len();
        let last = *ix.dependents_at.last().unwrap_or(&0);
        ix.dependents_at.resize(nodes + 1, last);
        ix.marks = vec![(0, 0, 0); nodes];
        ix
    }

    /// The dependencies of node `n`.
    fn deps_of(&self, n: usize) -> &[u32] {
        match (self.deps_at.get(n), self.deps_at.get(n + 1)) {
            (Some(&a), Some(&b)) => &self.deps[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The nodes that depend on node `n`.
    fn dependents_of(&self, n: usize) -> &[u32] {
        let (a, b) = (self.dependents_at[n], self.dependents_at[n + 1]);
        &self.dependents[a as usize..b as usize]
    }

    fn intern(&mut self, id: &'a str) -> usize {
        if let Some(&n) = self.node.get(id) {
            return n;
        }
        let n = self.ids.len();
        self.ids.push(id);
        self.package.push(None);
        self.node.insert(id, n);
        n
    }

    /// The package with this id.
    pub(crate) fn package(&self, id: &str) -> Option<&'a Package> {
        self.node.get(id).and_then(|&n| self.package[n])
    }

    /// What [`SourceFile::paths_to`] returns for `target`: paths from a
    /// start down to it, shortest first, at most `limit`.
    pub(crate) fn paths_to(&mut self, target: &str, limit: usize) -> Vec<Vec<String>> {
        let Some(&t) = self.node.get(target) else {
            return Vec::new();
        };
        self.call += 1;
        let call = self.call;
        let mut marks = std::mem::take(&mut self.marks);
        // The target and everything that reaches it.
        marks[t].0 = call;
        let mut stack = vec![t];
        while let Some(n) = stack.pop() {
            for &d in self.dependents_of(n) {
                let d = d as usize;
                if marks[d].0 != call {
                    marks[d].0 = call;
                    stack.push(d);
                }
            }
        }
        // paths_to's walk, with every node outside the ancestors left out.
        // Paths are kept as (node, parent entry, length) in one arena
        // instead of a vector each: the same walk in the same order, with
        // one push per step instead of a copy of the whole path.
        const ROOT: usize = usize::MAX;
        let mut arena: Vec<(usize, usize, usize)> = Vec::new();
        let mut queue: VecDeque<usize> = VecDeque::new();
        for &s in &self.starts {
            if marks[s].0 == call {
                arena.push((s, ROOT, 1));
                queue.push_back(arena.len() - 1);
            }
        }
        let on_path = |arena: &[(usize, usize, usize)], mut i: usize, node: usize| {
            while i != ROOT {
                if arena[i].0 == node {
                    return true;
                }
                i = arena[i].1;
            }
            false
        };
        let mut out = Vec::new();
        while let Some(i) = queue.pop_front() {
            let (last, _, len) = arena[i];
            if last == t {
                let mut path = Vec::with_capacity(len);
                let mut j = i;
                while j != ROOT {
                    path.push(self.ids[arena[j].0].to_string());
                    j = arena[j].1;
                }
                path.reverse();
                out.push(path);
                if out.len() >= limit {
                    break;
                }
                continue;
            }
            // Visit each node at its shortest depth only.
            let m = &mut marks[last];
            if m.1 == call && m.2 < len {
                continue;
            }
            (m.1, m.2) = (call, len);
            for &d in self.deps_of(last) {
                let d = d as usize;
                if marks[d].0 == call && !on_path(&arena, i, d) {
                    arena.push((d, i, len + 1));
                    queue.push_back(arena.len() - 1);
                }
            }
        }
        self.marks = marks;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same paths as `SourceFile::paths_to` for packages spread over every
    /// real lockfile (all ecosystems).
    #[test]
    fn same_paths_as_the_model_on_real_lockfiles() {
        let Some(dir) = patchloop_testdata::shared_data("lockfiles") else {
            return;
        };
        let inv = patchloop_inventory::inventory(&[dir], &patchloop_inventory::Options::default())
            .unwrap();
        let mut compared = 0;
        for source in &inv.sources {
            let mut ix = PathIndex::new(source);
            // paths_to is slow (the reason for PathIndex): 40 packages a file.
            let step = (source.packages.len() / 40).max(1);
            for p in source.packages.iter().step_by(step) {
                for limit in [1, 3] {
                    assert_eq!(
                        ix.paths_to(&p.id, limit),
                        source.paths_to(&p.id, limit),
                        "{} {} limit {limit}",
                        source.path,
                        p.id
                    );
                }
                assert_eq!(
                    ix.package(&p.id).map(|q| q.id.as_str()),
                    Some(p.id.as_str())
                );
                compared += 1;
            }
        }
        assert!(compared > 800, "{compared} packages compared");
    }
}
