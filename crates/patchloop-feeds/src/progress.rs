//! Progress reporting: the library says what it is doing, the binary
//! draws it (indicatif bars on a terminal, nothing otherwise).

/// What a progress count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Records,
}

/// Receives progress. Every method has a do-nothing default.
pub trait Progress: Sync {
    /// A new task starts (`total` when known).
    fn begin(&self, _label: &str, _total: Option<u64>, _unit: Unit) {}
    /// `n` more units of the current task are done.
    fn advance(&self, _n: u64) {}
    /// The current task is over.
    fn end(&self) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
