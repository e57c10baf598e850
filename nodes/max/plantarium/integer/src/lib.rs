//! An integer constant.

pub fn execute(value: i32) -> i32 {
    value
}
