//! A bounded writer over one output slot.

use crate::encoding::encode_float;
use crate::error::NodeError;

/// Writes words into a slot and never past its end: every write checks the capacity first.
pub struct Writer<'a> {
    slot: &'a mut [i32],
    len: usize,
}

/// Where an opened bracket sits, so that [`Writer::close`] can patch its skip count.
#[must_use]
pub struct Open(usize);

impl<'a> Writer<'a> {
    #[inline(always)]
    pub fn new(slot: &'a mut [i32]) -> Self {
        Writer { slot, len: 0 }
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.slot.len()
    }

    /// The words written so far.
    pub fn written(&self) -> &[i32] {
        &self.slot[..self.len]
    }

    fn overflow(&self) -> NodeError {
        NodeError::Capacity { capacity: self.slot.len() as u32 }
    }

    /// Makes room for `count` more words and returns them, or fails without writing anything.
    #[inline(always)]
    pub fn reserve(&mut self, count: usize) -> Result<&mut [i32], NodeError> {
        let end = self.len.checked_add(count).filter(|&end| end <= self.slot.len());
        match end {
            Some(end) => {
                let start = self.len;
                self.len = end;
                Ok(&mut self.slot[start..end])
            }
            None => Err(self.overflow()),
        }
    }

    #[inline(always)]
    pub fn push(&mut self, word: i32) -> Result<(), NodeError> {
        self.reserve(1)?[0] = word;
        Ok(())
    }

    #[inline(always)]
    pub fn push_f32(&mut self, value: f32) -> Result<(), NodeError> {
        self.push(encode_float(value))
    }

    #[inline(always)]
    pub fn push_bool(&mut self, value: bool) -> Result<(), NodeError> {
        self.push(value as i32)
    }

    #[inline(always)]
    pub fn push_vec3(&mut self, value: [f32; 3]) -> Result<(), NodeError> {
        self.extend(&value.map(encode_float))
    }

    // Inlined so that writing a few words known at the call site becomes plain stores, not a call
    // to `memcpy`: nodes write their output a handful of words at a time.
    #[inline(always)]
    pub fn extend(&mut self, words: &[i32]) -> Result<(), NodeError> {
        self.reserve(words.len())?.copy_from_slice(words);
        Ok(())
    }

    /// Opens a bracket `[0, n]`; `n` is filled in by [`Writer::close`].
    pub fn open(&mut self) -> Result<Open, NodeError> {
        let at = self.len;
        self.extend(&[0, 0])?;
        Ok(Open(at))
    }

    /// Closes a bracket with `[1, 1]` and patches the opening skip count.
    ///
    /// The skip count of `[0, n]` is one more than the plain words up to the next bracket. An
    /// item holds plain words only (lists hold items: see [`Writer::open_list`]), so that is
    /// everything written since `open`.
    pub fn close(&mut self, open: Open) -> Result<(), NodeError> {
        self.close_overcounted(open, 0)
    }

    /// [`Writer::close`], with an opening skip count `extra` higher than the truth: Nodarium's
    /// `create_geometry_data` writes one too many, which compatibility mode reproduces.
    pub fn close_overcounted(&mut self, open: Open, extra: usize) -> Result<(), NodeError> {
        let Open(at) = open;
        let plain = self.len - (at + 2);
        self.extend(&[1, 1])?;
        self.slot[at + 1] = (plain + 1 + extra) as i32;
        Ok(())
    }

    /// Opens a list of items: `[0, 1]`. A list holds only bracketed items, so its count is 1.
    pub fn open_list(&mut self) -> Result<(), NodeError> {
        self.extend(&[0, 1])
    }

    /// Closes a list: `[1, 1]`.
    pub fn close_list(&mut self) -> Result<(), NodeError> {
        self.extend(&[1, 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_bracket_counts_the_plain_words() {
        let mut slot = [9; 8];
        let mut w = Writer::new(&mut slot);
        let open = w.open().unwrap();
        w.extend(&[7, 8]).unwrap();
        w.close(open).unwrap();
        assert_eq!(w.written(), &[0, 3, 7, 8, 1, 1]);
    }

    #[test]
    fn refuses_to_write_past_capacity_and_writes_nothing() {
        let mut slot = [9; 3];
        let mut w = Writer::new(&mut slot);
        w.push(1).unwrap();
        assert_eq!(w.extend(&[2, 3, 4]), Err(NodeError::Capacity { capacity: 3 }));
        assert_eq!(w.written(), &[1]);
        drop(w);
        assert_eq!(slot, [1, 9, 9]);
    }
}
