//! Reading bracketed items (paths, geometry, instances) out of an input's words.
//!
//! An item is `[0, n, kind, …plain words…, 1, 1]`: `n` is one more than the plain words, so the
//! item spans `n + 3` words. A list is `[0, 1, item…, 1, 1]`. Every bulk input is either one
//! bare item or a list of them; both read as a sequence of items here.

use crate::error::NodeError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Path,
    Geometry,
    Instances,
}

impl ItemKind {
    pub fn tag(self) -> i32 {
        match self {
            ItemKind::Path => 0,
            ItemKind::Geometry => 1,
            ItemKind::Instances => 2,
        }
    }

    pub fn from_tag(tag: i32) -> Option<ItemKind> {
        match tag {
            0 => Some(ItemKind::Path),
            1 => Some(ItemKind::Geometry),
            2 => Some(ItemKind::Instances),
            _ => None,
        }
    }
}

/// One item, brackets included.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub words: &'a [i32],
}

impl<'a> Item<'a> {
    pub fn kind(&self) -> ItemKind {
        // `items` checked the tag when it built the sequence.
        ItemKind::from_tag(self.words[2]).unwrap_or(ItemKind::Path)
    }

    /// The words between the brackets, starting with the kind tag.
    pub fn body(&self) -> &'a [i32] {
        &self.words[2..self.words.len() - 2]
    }
}

/// The items of one input, checked once when built so that iterating cannot fail.
#[derive(Debug, Clone, Copy)]
pub struct Items<'a> {
    rest: &'a [i32],
}

/// Length of the item that starts at `words[0]`, if a well-formed one does.
fn item_len(words: &[i32]) -> Option<usize> {
    if words.len() < 5 || words[0] != 0 || words[1] < 2 {
        return None;
    }
    let len = (words[1] as usize).checked_add(3)?;
    let closing = words.get(len - 2..len)?;
    let kind = ItemKind::from_tag(words[2])?;
    if closing == [1, 1] && header_fits(kind, &words[2..len - 2]) {
        Some(len)
    } else {
        None
    }
}

/// Whether an item's body is as long as its header says (the rules of `runtime/format.py`), so
/// that readers of paths, geometry and instances can index it without checks.
fn header_fits(kind: ItemKind, body: &[i32]) -> bool {
    // Counts are at most i32::MAX, so these sums cannot overflow a u64.
    let count = |index: usize| body.get(index).and_then(|&v| u64::try_from(v).ok());
    let expected = match kind {
        ItemKind::Path => return body.len() >= 2 && (body.len() - 2) % 4 == 0,
        ItemKind::Geometry => count(1).zip(count(2)).map(|(v, f)| 3 + 3 * f + 6 * v),
        ItemKind::Instances => count(1)
            .zip(count(2))
            .zip(count(3))
            .filter(|_| body.len() >= 5)
            .map(|((v, f), i)| 5 + 3 * f + 6 * v + 16 * i),
    };
    expected == Some(body.len() as u64)
}

impl<'a> Items<'a> {
    /// Reads `words` as one bare item or as a list of items; `input` names the input in errors.
    pub fn new(words: &'a [i32], input: u32) -> Result<Items<'a>, NodeError> {
        let bad = NodeError::BadInput { input };
        let inner = match words {
            [0, 1, inner @ .., 1, 1] => inner,
            _ => words,
        };
        let mut rest = inner;
        while !rest.is_empty() {
            let len = item_len(rest).ok_or(bad)?;
            rest = &rest[len..];
        }
        Ok(Items { rest: inner })
    }

    /// How many words the items take, without the list brackets.
    pub fn words(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let len = item_len(self.rest)?;
        let (item, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(Item { words: item })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: [i32; 10] = [0, 7, 0, 1, 10, 11, 12, 13, 1, 1];

    #[test]
    fn a_bare_item_reads_as_one_item() {
        let items: Vec<_> = Items::new(&PATH, 0).unwrap().collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].kind(), ItemKind::Path);
        assert_eq!(items[0].body(), &[0, 1, 10, 11, 12, 13]);
    }

    #[test]
    fn a_list_reads_as_its_items() {
        let mut list = vec![0, 1];
        list.extend_from_slice(&PATH);
        list.extend_from_slice(&PATH);
        list.extend_from_slice(&[1, 1]);
        assert_eq!(Items::new(&list, 0).unwrap().count(), 2);
        assert_eq!(Items::new(&[0, 1, 1, 1], 0).unwrap().count(), 0);
    }

    #[test]
    fn malformed_words_are_refused() {
        let mut broken = PATH;
        broken[1] = 6;
        assert_eq!(Items::new(&broken, 3).unwrap_err(), NodeError::BadInput { input: 3 });
        assert!(Items::new(&PATH[..9], 0).is_err());
        assert!(Items::new(&[0, 7, 5, 1, 1], 0).is_err());
    }

    #[test]
    fn an_item_whose_header_disagrees_with_its_length_is_refused() {
        // A path of one point and a stray word; a geometry claiming one vertex but holding none.
        assert!(Items::new(&[0, 8, 0, 1, 10, 11, 12, 13, 14, 1, 1], 0).is_err());
        assert!(Items::new(&[0, 4, 1, 1, 0, 1, 1], 0).is_err());
        assert_eq!(Items::new(&[0, 4, 1, 0, 0, 1, 1], 0).unwrap().count(), 1);
    }
}
