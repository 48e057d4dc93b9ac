//! [`IdMap`]: a slab of values addressed by 64-bit ids, with O(1) lookups.
//!
//! Open chats are looked up by id several times per input — by the engine, the simulator
//! and the metrics collector. An ordered map costs a tree walk (and its cache misses) each
//! time; this table costs one multiplication and usually one probe. Values live in a slab
//! whose slots are reused, so they never move while present and a run of 10^8 chats needs
//! only as many slots as chats are open at once.
//!
//! Determinism: the hash is a fixed function of the id (no per-process random state), so
//! the table's layout depends only on the sequence of inserts and removes. Even so, nothing
//! may depend on its internal order: [`IdMap::iter_any_order`] says so in its name and is
//! meant for order-independent work (counting, collecting then sorting);
//! [`IdMap::sorted_ids`] gives the ids in order.

/// Marks an empty index cell.
const EMPTY: u32 = u32::MAX;

/// One index cell: the top half of the id's hash (its `tag`, which also gives the cell the
/// id belongs in) and the id's slab slot. Eight bytes, not sixteen: with ids kept only in
/// the slab, the index of 10^4 open chats fits in a few hundred kilobytes of cache. A tag
/// match is confirmed against the id in the slab entry, which a lookup reads anyway.
#[derive(Clone, Copy)]
struct Cell {
    tag: u32,
    slot: u32,
}

const FREE: Cell = Cell { tag: 0, slot: EMPTY };

/// A map from `u64` ids to values: O(1) get, insert and remove; slots reused.
#[derive(Clone)]
pub struct IdMap<V> {
    /// Open-addressing index (linear probing), `slot == EMPTY` when free. Its length is a
    /// power of two, at least twice the number of entries, and below 2^32.
    index: Vec<Cell>,
    /// The values, with their ids.
    slab: Vec<Option<(u64, V)>>,
    /// Free slab slots, reused last-freed first.
    free: Vec<u32>,
    len: usize,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for IdMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids = self.sorted_ids();
        ids.truncate(64);
        f.debug_struct("IdMap")
            .field("len", &self.len)
            .field("first_ids", &ids)
            .finish()
    }
}

/// Fibonacci hashing: the id times 2^64/φ; the top 32 bits are the id's tag.
#[inline]
fn tag(id: u64) -> u32 {
    (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

/// The cell a tag belongs in (the table is smaller than 2^32 cells).
#[inline]
fn home(tag: u32, mask: usize) -> usize {
    tag as usize & mask
}

impl<V> IdMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self {
            index: vec![FREE; 16],
            slab: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// The index cell holding `id`, if present.
    #[inline]
    fn find(&self, id: u64) -> Option<usize> {
        let mask = self.mask();
        let tag = tag(id);
        let mut i = home(tag, mask);
        loop {
            let cell = self.index[i];
            if cell.slot == EMPTY {
                return None;
            }
            if cell.tag == tag
                && self.slab[cell.slot as usize]
                    .as_ref()
                    .is_some_and(|(key, _)| *key == id)
            {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slab slot of `id`, if present.
    #[inline]
    fn slot(&self, id: u64) -> Option<u32> {
        self.find(id).map(|i| self.index[i].slot)
    }

    /// Whether `id` is present.
    #[inline]
    pub fn contains(&self, id: u64) -> bool {
        self.find(id).is_some()
    }

    /// The value of `id`.
    #[inline]
    pub fn get(&self, id: u64) -> Option<&V> {
        let slot = self.slot(id)?;
        self.slab[slot as usize].as_ref().map(|(_, v)| v)
    }

    /// The value of `id`, mutably.
    #[inline]
    pub fn get_mut(&mut self, id: u64) -> Option<&mut V> {
        let slot = self.slot(id)?;
        self.slab[slot as usize].as_mut().map(|(_, v)| v)
    }

    /// Inserts or replaces the value of `id`; returns the value it replaced.
    #[inline]
    pub fn insert(&mut self, id: u64, value: V) -> Option<V> {
        if let Some(slot) = self.slot(id) {
            let entry = self.slab[slot as usize].as_mut().expect("indexed slots are full");
            return Some(std::mem::replace(&mut entry.1, value));
        }
        if (self.len + 1) * 2 > self.index.len() {
            self.grow();
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slab[slot as usize] = Some((id, value));
                slot
            }
            None => {
                self.slab.push(Some((id, value)));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 - 1 entries")
            }
        };
        self.place(Cell { tag: tag(id), slot });
        self.len += 1;
        None
    }

    /// Puts (id, slot) in the first free cell of its probe sequence.
    fn place(&mut self, cell: Cell) {
        let mask = self.mask();
        let mut i = home(cell.tag, mask);
        while self.index[i].slot != EMPTY {
            i = (i + 1) & mask;
        }
        self.index[i] = cell;
    }

    fn grow(&mut self) {
        let doubled = vec![FREE; self.index.len() * 2];
        let old = std::mem::replace(&mut self.index, doubled);
        for cell in old {
            if cell.slot != EMPTY {
                self.place(cell);
            }
        }
    }

    /// Removes `id`; returns its value.
    #[inline]
    pub fn remove(&mut self, id: u64) -> Option<V> {
        let mut hole = self.find(id)?;
        let slot = self.index[hole].slot;
        // Backward-shift deletion: pull later members of the probe run into the hole, so
        // lookups never need tombstones.
        let mask = self.mask();
        let mut i = (hole + 1) & mask;
        loop {
            let cell = self.index[i];
            if cell.slot == EMPTY {
                break;
            }
            let h = home(cell.tag, mask);
            // Move the entry if its home is not in (hole, i] (cyclically).
            let stays = if hole <= i {
                hole < h && h <= i
            } else {
                hole < h || h <= i
            };
            if !stays {
                self.index[hole] = self.index[i];
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.index[hole] = FREE;
        self.len -= 1;
        self.free.push(slot);
        self.slab[slot as usize].take().map(|(_, v)| v)
    }

    /// Every entry, in an order that means nothing: only for order-independent work.
    pub fn iter_any_order(&self) -> impl Iterator<Item = (u64, &V)> {
        self.slab
            .iter()
            .filter_map(|e| e.as_ref().map(|(id, v)| (*id, v)))
    }

    /// Every entry, taken out, in an order that means nothing: only for order-independent
    /// work.
    pub fn into_any_order(self) -> impl Iterator<Item = (u64, V)> {
        self.slab.into_iter().flatten()
    }

    /// Every id, ascending.
    pub fn sorted_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.iter_any_order().map(|(id, _)| id).collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// SplitMix64 step (the engine imports nothing else of ours).
    fn splitmix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Random inserts and removes, clustered ids included, agree with a BTreeMap.
    #[test]
    fn behaves_like_an_ordered_map() {
        let mut map = IdMap::new();
        let mut model = BTreeMap::new();
        let mut x: u64 = 1;
        let mut peak = 0;
        for step in 0..200_000u64 {
            x = splitmix(x);
            // Ids from a small range (many collisions and re-inserts) and a few huge ones.
            let id = if x.is_multiple_of(7) { x } else { x % 3_000 };
            match x % 3 {
                0 | 1 => assert_eq!(map.insert(id, step), model.insert(id, step)),
                _ => assert_eq!(map.remove(id), model.remove(&id)),
            }
            assert_eq!(map.len(), model.len());
            peak = peak.max(model.len());
            if step % 1_000 == 0 {
                let want: Vec<u64> = model.keys().copied().collect();
                assert_eq!(map.sorted_ids(), want);
                for (id, v) in &model {
                    assert_eq!(map.get(*id), Some(v));
                }
                assert_eq!(map.get(u64::MAX - 1), model.get(&(u64::MAX - 1)));
            }
        }
        // Slots are reused: the slab grows only past the most entries present at once.
        assert_eq!(map.slab.len(), peak);
    }

    /// Ids whose hashes share their top 32 bits share a tag and a home cell: the slab's id
    /// tells them apart, on lookup, replacement and removal.
    #[test]
    fn ids_sharing_a_tag_are_told_apart() {
        // The inverse of the hash multiplier: id + j·inv hashes to hash(id) + j.
        let c: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(inv)));
        }
        assert_eq!(c.wrapping_mul(inv), 1);
        // The id whose hash is 0xABCD_0123 · 2^32: adding up to 39 keeps its top half.
        let base = 0xABCD_0123_0000_0000u64.wrapping_mul(inv);
        let ids: Vec<u64> = (0..40u64)
            .map(|j| base.wrapping_add(j.wrapping_mul(inv)))
            .collect();
        assert!(ids.iter().all(|&id| tag(id) == tag(ids[0])));
        let mut map = IdMap::new();
        for (v, &id) in ids.iter().enumerate() {
            assert_eq!(map.insert(id, v), None);
        }
        assert_eq!(map.insert(ids[7], 700), Some(7));
        for &gone in &[ids[0], ids[13], ids[39]] {
            assert!(map.remove(gone).is_some());
            assert!(!map.contains(gone));
        }
        for (v, &id) in ids.iter().enumerate() {
            let want = match v {
                0 | 13 | 39 => None,
                7 => Some(700),
                _ => Some(v),
            };
            assert_eq!(map.get(id).copied(), want, "id #{v}");
        }
        assert_eq!(map.len(), 37);
    }
}
