//! Why a node stopped. The dispatcher turns these into a status the host reads back.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeError {
    /// The node wanted to write more words than its slot holds.
    Capacity { capacity: u32 },
    /// Input number `input` does not have the shape the node's type requires.
    BadInput { input: u32 },
    /// The node rejected its input values; the text says why.
    Invalid(&'static str),
    /// The step record does not fit node kind `kind`: the plan was made for another module.
    BadStep { kind: u32 },
}

pub type NodeResult = Result<(), NodeError>;
