//! The graph's result: every input item, gathered into one list `[0, 1, item…, 1, 1]`.
//!
//! Nodarium's output node crashes on a bare geometry (it expects a list); ndg reads a bare item
//! and a list alike.

use ndg_util::{Items, NodeResult, Writer};

pub fn execute(input: Items, out: &mut Writer) -> NodeResult {
    out.open_list()?;
    for item in input {
        out.extend(item.words)?;
    }
    out.close_list()
}
