//! `amount` straight stems of `resolution_curve` points, growing up (+y) from `origin` for
//! `length`, their thickness tapering from `thickness` at the base to 0 at the tip. Point `i` is
//! `(x, y + a·length, z, thickness·(1 − a))` with `a = i / (resolution_curve − 1)`. Every stem has
//! depth tag 1. A NaN float input reads as 0, as in Nodarium.
//!
//! As in Nodarium, `origin`, `length` and `thickness` are evaluated anew for every stem (in that
//! order), so stems fed by a `random` differ, and the node's call counter starts at 0.

use ndg_util::expr::{reset_call_count, Float, Vec3};
use ndg_util::paths::write_path;
use ndg_util::{float_input, vec3_input, NodeError, NodeResult, Writer};

pub fn execute(origin: Vec3, amount: i32, length: Float, thickness: Float, resolution_curve: i32, out: &mut Writer) -> NodeResult {
    reset_call_count();
    if resolution_curve < 2 {
        return Err(NodeError::Invalid("a stem needs a resolution_curve of at least 2 points"));
    }
    let last = (resolution_curve - 1) as f32;
    out.open_list()?;
    for _ in 0..amount.max(0) {
        let origin = vec3_input(origin.eval());
        let length = float_input(length.eval());
        let thickness = float_input(thickness.eval());
        let points = (0..resolution_curve).map(|i| {
            let a = i as f32 / last;
            [origin[0], origin[1] + a * length, origin[2], thickness * (1.0 - a)]
        });
        write_path(out, 1, points)?;
    }
    out.close_list()
}
