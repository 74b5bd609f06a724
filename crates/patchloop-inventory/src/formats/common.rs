//! Building blocks every parser shares: a de-duplicating package set and
//! the propagation of direct/transitive and scope along dependency edges.

use crate::fxhash::HashMap;
use std::collections::VecDeque;

use patchloop_model::{Package, Relation, Scope};

/// Packages of one file, merged by id: the same package met twice (npm v1
/// nested copies, repeated lines) becomes one entry with all its locations.
#[derive(Debug, Default, Clone)]
pub struct PackageSet {
    index: HashMap<String, usize>,
    packages: Vec<Package>,
}

impl PackageSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `n` packages: no reallocation (and copy of every package)
    /// while a lockfile of known size is read.
    pub fn with_capacity(n: usize) -> Self {
        PackageSet {
            index: HashMap::with_capacity_and_hasher(n, Default::default()),
            packages: Vec::with_capacity(n),
        }
    }

    /// Insert or merge; returns the package's id.
    pub fn insert(&mut self, p: Package) -> String {
        let id = p.id.clone();
        match self.index.get(&id) {
            Some(&i) => {
                let q = &mut self.packages[i];
                for l in p.locations {
                    if !q.locations.contains(&l) {
                        q.locations.push(l);
                    }
                }
                for d in p.dependencies {
                    if !q.dependencies.contains(&d) {
                        q.dependencies.push(d);
                    }
                }
                for c in p.checksums {
                    if !q.checksums.contains(&c) {
                        q.checksums.push(c);
                    }
                }
                q.scope = q.scope.merge(p.scope);
                q.relation = merge_relation(q.relation, p.relation);
            }
            None => {
                self.index.insert(id.clone(), self.packages.len());
                self.packages.push(p);
            }
        }
        id
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&Package> {
        self.index.get(id).map(|&i| &self.packages[i])
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Package> {
        self.index.get(id).map(|&i| &mut self.packages[i])
    }

    pub fn len(&self) -> usize {
        self.packages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Package> {
        self.packages.iter_mut()
    }

    /// The packages, sorted by name then version, with dependency lists
    /// de-duplicated, sorted, and pruned of ids not in the set.
    pub fn into_sorted(self) -> Vec<Package> {
        let ids = self.index;
        let mut v = self.packages;
        for p in &mut v {
            p.dependencies
                .retain(|d| ids.contains_key(d.as_str()) && *d != p.id);
            p.dependencies.sort();
            p.dependencies.dedup();
            p.locations.sort();
        }
        // Unstable: no scratch copy of the packages; ids are unique, so no
        // two packages compare equal and the order is the same.
        v.sort_unstable_by(|a, b| {
            (a.name.as_str(), a.version.as_str(), a.id.as_str()).cmp(&(
                b.name.as_str(),
                b.version.as_str(),
                b.id.as_str(),
            ))
        });
        v
    }
}

fn merge_relation(a: Relation, b: Relation) -> Relation {
    match (a, b) {
        (Relation::Direct, _) | (_, Relation::Direct) => Relation::Direct,
        (Relation::Transitive, _) | (_, Relation::Transitive) => Relation::Transitive,
        _ => Relation::Unknown,
    }
}

/// Set `relation` and `scope` of every package from the project's direct
/// dependencies and the edges between packages.
///
/// `direct` lists (id, scope of that direct edge). A package reachable from
/// a direct dependency is `Transitive` (unless itself direct); its scope is
/// the most demanding scope of the direct dependencies it is reachable
/// from (reachable from a runtime dependency → runtime; only from dev
/// dependencies → dev). Packages reachable from nothing keep their scope
/// and get `Unknown` unless they already say otherwise.
pub fn propagate(packages: &mut PackageSet, direct: &[(String, Scope)]) {
    // By index: no id is cloned or hashed more than once per edge.
    let index = &packages.index;
    let n = packages.packages.len();
    let mut scope_of: Vec<Option<Scope>> = vec![None; n];
    let mut is_direct = vec![false; n];
    for (id, _) in direct {
        if let Some(&i) = index.get(id.as_str()) {
            is_direct[i] = true;
        }
    }
    // Most demanding first, so the first scope assigned is the final one.
    let mut queue: VecDeque<usize> = VecDeque::new();
    for s in [Scope::Runtime, Scope::Optional, Scope::Build, Scope::Dev] {
        queue.extend(
            direct
                .iter()
                .filter(|(_, sc)| *sc == s)
                .filter_map(|(id, _)| index.get(id.as_str()).copied()),
        );
        while let Some(i) = queue.pop_front() {
            if scope_of[i].is_some() {
                continue;
            }
            scope_of[i] = Some(s);
            for d in &packages.packages[i].dependencies {
                if let Some(&j) = index.get(d.as_str())
                    && scope_of[j].is_none()
                {
                    queue.push_back(j);
                }
            }
        }
    }
    for ((p, direct), scope) in packages.packages.iter_mut().zip(is_direct).zip(scope_of) {
        if direct {
            p.relation = Relation::Direct;
        } else if scope.is_some() {
            p.relation = Relation::Transitive;
        }
        if let Some(s) = scope {
            p.scope = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Ecosystem;

    fn pkg(n: &str) -> Package {
        Package::new(Ecosystem::NPM, n, "1.0.0")
    }

    #[test]
    fn merge_and_propagate() {
        let mut set = PackageSet::new();
        let mut a = pkg("a");
        let mut b = pkg("b");
        let c = pkg("c");
        let d = pkg("d");
        a.dependencies.push(c.id.clone());
        b.dependencies.push(c.id.clone());
        b.dependencies.push(d.id.clone());
        let (ida, idb, idc, idd) = (a.id.clone(), b.id.clone(), c.id.clone(), d.id.clone());
        set.insert(a);
        set.insert(b);
        set.insert(c.clone().with_location("x", Some(3)));
        set.insert(c.with_location("x", Some(9)));
        set.insert(d);
        propagate(
            &mut set,
            &[(ida.clone(), Scope::Runtime), (idb.clone(), Scope::Dev)],
        );
        assert_eq!(set.get(&idc).unwrap().locations.len(), 2);
        assert_eq!(set.get(&idc).unwrap().scope, Scope::Runtime);
        assert_eq!(set.get(&idd).unwrap().scope, Scope::Dev);
        assert_eq!(set.get(&idd).unwrap().relation, Relation::Transitive);
        assert_eq!(set.get(&ida).unwrap().relation, Relation::Direct);
        assert_eq!(set.into_sorted().len(), 4);
    }
}
