//! Hash maps with a fast non-cryptographic hasher (FxHash): the parsers
//! hash many short keys (package names, ids) and SipHash's HashDoS
//! resistance buys nothing for a short-lived per-file index.

pub type HashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
pub type HashSet<K> = std::collections::HashSet<K, rustc_hash::FxBuildHasher>;
