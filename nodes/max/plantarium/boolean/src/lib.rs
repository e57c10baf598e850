//! A boolean constant.

pub fn execute(value: bool) -> bool {
    value
}
