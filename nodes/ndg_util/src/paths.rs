//! Path items: `[0, 4P + 3, 0, depth, P × (x, y, z, w), 1, 1]`, `w` being the thickness.
//!
//! The nodes that grow a plant (branch, noise, gravity, instance) act on the deepest levels of
//! it: with `depth` = 1 on the paths of the largest depth tag, with 2 also on the level below, …
//! [`Levels`] decides that the same way for all of them, and the size rules say it again as
//! `item.depth >= max_depth(plant) - depth + 1`.

use crate::encoding::{decode_float, encode_float};
use crate::error::NodeResult;
use crate::items::{Item, ItemKind, Items};
use crate::writer::Writer;

pub type Point = [f32; 4];

/// A path item's depth tag and points.
#[derive(Debug, Clone, Copy)]
pub struct Path<'a> {
    pub depth: i32,
    words: &'a [i32],
}

impl<'a> Path<'a> {
    /// The path in `item`, if it is one (`Items` checked its length against its header).
    pub fn of(item: &Item<'a>) -> Option<Path<'a>> {
        if item.kind() != ItemKind::Path {
            return None;
        }
        let body = item.body();
        Some(Path { depth: body[1], words: &body[2..] })
    }

    pub fn len(&self) -> usize {
        self.words.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn point(&self, index: usize) -> Point {
        let w = &self.words[4 * index..4 * index + 4];
        [decode_float(w[0]), decode_float(w[1]), decode_float(w[2]), decode_float(w[3])]
    }

    /// Point `index`'s four words (x, y, z and thickness, as float bit patterns).
    pub fn point_words(&self, index: usize) -> &'a [i32] {
        &self.words[4 * index..4 * index + 4]
    }

    pub fn points(&self) -> impl Iterator<Item = Point> + 'a {
        let words = self.words;
        words.chunks_exact(4).map(|w| [decode_float(w[0]), decode_float(w[1]), decode_float(w[2]), decode_float(w[3])])
    }
}

/// Which paths of an input a node with a `depth` input acts on.
#[derive(Debug, Clone, Copy)]
pub struct Levels {
    lowest: i32,
}

impl Levels {
    /// The `depth` deepest levels of `items`: depth tags from `max - depth + 1` up.
    pub fn deepest(items: Items, depth: i32) -> Levels {
        let max = items.filter_map(|item| Path::of(&item)).map(|p| p.depth).max().unwrap_or(0);
        Levels { lowest: max.saturating_sub(depth).saturating_add(1) }
    }

    pub fn contains(&self, path: &Path) -> bool {
        path.depth >= self.lowest
    }
}

/// Writes one path item with the given depth tag and points.
pub fn write_path(out: &mut Writer, depth: i32, points: impl Iterator<Item = Point>) -> NodeResult {
    let item = out.open()?;
    out.extend(&[ItemKind::Path.tag(), depth])?;
    for point in points {
        out.extend(&point.map(encode_float))?;
    }
    out.close(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_words(depth: i32, points: &[Point]) -> Vec<i32> {
        let mut slot = vec![0; 6 + 4 * points.len()];
        let mut out = Writer::new(&mut slot);
        write_path(&mut out, depth, points.iter().copied()).unwrap();
        slot
    }

    #[test]
    fn a_written_path_reads_back() {
        let words = path_words(2, &[[1.0, 2.0, 3.0, 0.5], [4.0, 5.0, 6.0, 0.25]]);
        assert_eq!(words[..4], [0, 11, 0, 2]);
        let item = Items::new(&words, 0).unwrap().next().unwrap();
        let path = Path::of(&item).unwrap();
        assert_eq!((path.depth, path.len()), (2, 2));
        assert_eq!(path.point(1), [4.0, 5.0, 6.0, 0.25]);
        assert_eq!(path.points().count(), 2);
    }

    #[test]
    fn levels_count_down_from_the_deepest_path() {
        let mut list = vec![0, 1];
        for depth in [1, 2, 3] {
            list.extend(path_words(depth, &[[0.0; 4]]));
        }
        list.extend([1, 1]);
        let items = Items::new(&list, 0).unwrap();
        let depths = |levels: Levels| -> Vec<i32> {
            items.filter_map(|i| Path::of(&i)).filter(|p| levels.contains(p)).map(|p| p.depth).collect()
        };
        assert_eq!(depths(Levels::deepest(items, 1)), [3]);
        assert_eq!(depths(Levels::deepest(items, 2)), [2, 3]);
        assert_eq!(depths(Levels::deepest(items, 10)), [1, 2, 3]);
    }
}
