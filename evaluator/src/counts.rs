//! Votes aggregated per (pair, outcome): the input of every rating method.
//!
//! Ten million votes among 200 models fold into at most 19,900 pairs × 4 outcomes,
//! so everything downstream costs the same however many votes there were.

use rustc_hash::FxHashMap;

use crate::choice::{self, Choice, MAX_K};
use crate::error::{Error, Result};
use crate::options::BothBad;
use crate::vote::Outcome;

/// Per-pair vote counts, keyed by model name.
///
/// Model names are interned to indices in the order they are first seen; pairs are
/// unordered (A vs B and B vs A land in the same cell, with the outcome flipped).
/// The order in which counts are added does not change any result: methods work on
/// a canonical form with models sorted by name.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{Counts, Outcome};
/// let mut counts = Counts::new();
/// counts.add_n("sdxl", "lcm", Outcome::A, 30);
/// counts.add_n("lcm", "sdxl", Outcome::A, 10); // lcm won, seen from the other side
/// counts.add("sdxl", "lcm", Outcome::Tie);
/// let pair = counts.pair("sdxl", "lcm").unwrap();
/// assert_eq!((pair.a_wins, pair.b_wins, pair.ties), (30, 10, 1));
/// assert_eq!(counts.total(), 41);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Counts {
    names: Vec<String>,
    index: FxHashMap<Box<str>, u32>,
    /// A small cache in front of `index` for names of up to 16 bytes: the readers
    /// look a name up twice per vote.
    recent: NameCache,
    /// Each pair's slot in `cells`.
    slots: FxHashMap<(u32, u32), u32>,
    /// The pair `(lo, hi)` of each slot, in the order first seen.
    cells: Vec<(u32, u32)>,
    /// The counts, as [`Cell`]s, each at its pair's place (see [`Self::place`]): small
    /// cells at places found without a lookup, so that counting a vote touches one
    /// cache line, and the cells of 200 models stay in a core's own cache.
    hot: Vec<Cell>,
    /// Whether there have been more than [`DENSE_MODELS`] models, so that `hot` is
    /// kept by slot rather than as the triangle of all pairs.
    sparse: bool,
    /// What a place's counts hold beyond its [`Cell`], for the rare count past
    /// `u32::MAX`: the count is `hot + wide`.
    wide: FxHashMap<u32, [u64; 4]>,
    /// Votes of each model against itself, by interned index (shorter than `names`
    /// when the last models never met themselves).
    self_votes: Vec<u64>,
    /// K-wise votes (three or four models), one cell per (set shown, best, worst), in
    /// the order first seen, and where each cell is.
    kwise: Vec<(KwiseKey, u64)>,
    kwise_slots: FxHashMap<KwiseKey, u32>,
}

/// A K-wise cell: interned indices sorted ascending (unused slots `u32::MAX`), and
/// the positions in them of the best and the worst (`u8::MAX`: none chosen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct KwiseKey {
    members: [u32; MAX_K],
    k: u8,
    best: u8,
    worst: u8,
}

/// The votes of one kind of K-wise battle: the models shown, the one chosen best and
/// the one chosen worst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceCounts<'a> {
    /// The models shown, sorted by the order they were first seen.
    pub models: Vec<&'a str>,
    /// The model chosen best.
    pub best: &'a str,
    /// The model chosen worst, when the voter chose one.
    pub worst: Option<&'a str>,
    /// How many such votes.
    pub count: u64,
}

/// Models up to which [`Counts`] keeps a cell for every pair (2 MiB at most).
const DENSE_MODELS: usize = 512;

/// Recently seen short names, direct-mapped by a multiplicative hash of their bytes.
/// A name of up to 16 bytes is its length and two (possibly overlapping) eight-byte
/// words, so a hit costs two loads and three comparisons: no string hash, no
/// string comparison.
#[derive(Debug, Clone, Default)]
struct NameCache {
    /// `(first word, last word, length << 32 | index)`; empty until first used.
    slots: Vec<(u64, u64, u64)>,
}

/// Entries of [`NameCache`]: room for the models of any arena, in 24 KiB.
const CACHE_SLOTS: usize = 1024;

/// A name's two words, for names of 1 to 16 bytes.
fn words(name: &str) -> Option<(u64, u64)> {
    let b = name.as_bytes();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    match b.len() {
        8..=16 => Some((word(0), word(b.len() - 8))),
        1..=7 => {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            Some((u64::from_le_bytes(w), 0))
        }
        _ => None,
    }
}

impl NameCache {
    fn slot(first: u64, last: u64, len: usize) -> usize {
        let h = (first ^ last.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 54) as usize % CACHE_SLOTS
    }

    /// Two ways per set: a name may sit in its slot or in the other of the pair, so
    /// that two names of one slot (one in five of 200 names would share one) do not
    /// keep pushing each other out.
    #[inline]
    fn get(&self, name: &str) -> Option<u32> {
        let (first, last) = words(name)?;
        let slot = Self::slot(first, last, name.len());
        let len = name.len() as u64;
        [slot, slot ^ 1].into_iter().find_map(|s| {
            let &(f, l, tag) = self.slots.get(s)?;
            (f == first && l == last && tag >> 32 == len).then_some(tag as u32)
        })
    }

    fn put(&mut self, name: &str, index: u32) {
        let Some((first, last)) = words(name) else {
            return;
        };
        if self.slots.is_empty() {
            self.slots = vec![(0, 0, 0); CACHE_SLOTS];
        }
        let tag = (name.len() as u64) << 32 | u64::from(index);
        let slot = Self::slot(first, last, name.len());
        // An empty slot has length 0, which no name has.
        let slot = if self.slots[slot].2 != 0 && self.slots[slot ^ 1].2 == 0 {
            slot ^ 1
        } else {
            slot
        };
        self.slots[slot] = (first, last, tag);
    }
}

/// The counts of one unordered pair `lo < hi` (interned indices): wins of `lo`, wins
/// of `hi`, ties, both bad.
type Cell = [u32; 4];

/// The counts of one pair, seen from `model_a`'s side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCounts<'a> {
    /// One model of the pair.
    pub model_a: &'a str,
    /// The other model.
    pub model_b: &'a str,
    /// Votes `model_a` won.
    pub a_wins: u64,
    /// Votes `model_b` won.
    pub b_wins: u64,
    /// Ties.
    pub ties: u64,
    /// Both-bad votes.
    pub both_bad: u64,
}

impl PairCounts<'_> {
    /// All votes between the two models.
    pub fn total(&self) -> u64 {
        self.a_wins + self.b_wins + self.ties + self.both_bad
    }
}

impl Counts {
    /// No votes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one vote.
    pub fn add(&mut self, model_a: &str, model_b: &str, outcome: Outcome) {
        self.add_n(model_a, model_b, outcome, 1);
    }

    /// Adds `n` identical votes, e.g. one row of a SQL `group by model_a, model_b,
    /// winner`. A model voted against itself is counted in [`Self::self_battles`]
    /// and otherwise ignored (such a vote says nothing about strength).
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::{Counts, Outcome};
    /// let mut counts = Counts::new();
    /// counts.add_n("a", "b", Outcome::BothBad, 3);
    /// counts.add_n("a", "a", Outcome::A, 2);
    /// assert_eq!((counts.total(), counts.self_battles()), (3, 2));
    /// ```
    pub fn add_n(&mut self, model_a: &str, model_b: &str, outcome: Outcome, n: u64) {
        let a = self.intern(model_a);
        let b = self.intern(model_b);
        self.add_indices(a, b, outcome, n);
    }

    /// Adds `n` identical K-wise votes: `models` were shown (two to four different
    /// models), `models[best]` was chosen best and `models[worst]`, if given, worst.
    /// A choice between two models is an ordinary pairwise vote and is counted as one.
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::Counts;
    /// let mut counts = Counts::new();
    /// counts.add_choice(&["sdxl", "lcm", "flux", "sd15"], 2, Some(3), 5).unwrap();
    /// counts.add_choice(&["lcm", "sdxl"], 1, None, 1).unwrap(); // sdxl beat lcm
    /// assert_eq!(counts.total(), 6);
    /// assert_eq!(counts.pair("sdxl", "lcm").unwrap().a_wins, 1);
    /// let kwise: Vec<_> = counts.choices().collect();
    /// assert_eq!((kwise[0].best, kwise[0].worst, kwise[0].count), ("flux", Some("sd15"), 5));
    /// assert!(counts.add_choice(&["a", "b", "a"], 0, None, 1).is_err());
    /// ```
    pub fn add_choice(
        &mut self,
        models: &[&str],
        best: usize,
        worst: Option<usize>,
        n: u64,
    ) -> Result<()> {
        let k = models.len();
        if !(2..=MAX_K).contains(&k) {
            return Err(Error::InvalidOption(format!(
                "a battle shows 2 to {MAX_K} models, not {k}"
            )));
        }
        if best >= k || worst.is_some_and(|w| w >= k) {
            return Err(Error::InvalidOption(format!(
                "the best and the worst must be models of the battle (0 to {})",
                k - 1
            )));
        }
        choice::check(models, best, worst).map_err(Error::InvalidOption)?;
        let indices: Vec<u32> = models.iter().map(|m| self.intern(m)).collect();
        if k == 2 {
            let outcome = if best == 0 { Outcome::A } else { Outcome::B };
            self.add_indices(indices[0], indices[1], outcome, n);
            return Ok(());
        }
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by_key(|&q| indices[q]);
        let position = |q: usize| order.iter().position(|&o| o == q).expect("a member") as u8;
        let mut members = [u32::MAX; MAX_K];
        for (slot, &q) in order.iter().enumerate() {
            members[slot] = indices[q];
        }
        let key = KwiseKey {
            members,
            k: k as u8,
            best: position(best),
            worst: worst.map_or(u8::MAX, position),
        };
        self.add_kwise(key, n);
        Ok(())
    }

    fn add_kwise(&mut self, key: KwiseKey, n: u64) {
        match self.kwise_slots.get(&key) {
            Some(&slot) => self.kwise[slot as usize].1 += n,
            None => {
                self.kwise_slots.insert(key, self.kwise.len() as u32);
                self.kwise.push((key, n));
            }
        }
    }

    /// Every kind of K-wise vote (three or four models) with its count, in the order
    /// first seen.
    pub fn choices(&self) -> impl Iterator<Item = ChoiceCounts<'_>> + '_ {
        self.kwise.iter().map(|(key, count)| {
            let name = |q: u8| self.names[key.members[q as usize] as usize].as_str();
            ChoiceCounts {
                models: (0..key.k).map(name).collect(),
                best: name(key.best),
                worst: (key.worst != u8::MAX).then(|| name(key.worst)),
                count: *count,
            }
        })
    }

    /// The same counts without the K-wise votes.
    pub(crate) fn without_kwise(&self) -> Counts {
        let mut pairwise = self.clone();
        pairwise.kwise.clear();
        pairwise.kwise_slots.clear();
        pairwise
    }

    /// K-wise votes counted.
    pub fn kwise_total(&self) -> u64 {
        self.kwise.iter().map(|(_, n)| n).sum()
    }

    /// Adds every vote of `other`.
    pub fn merge(&mut self, other: &Counts) {
        for name in &other.names {
            self.intern(name);
        }
        for pair in other.pairs() {
            for (outcome, n) in [
                (Outcome::A, pair.a_wins),
                (Outcome::B, pair.b_wins),
                (Outcome::Tie, pair.ties),
                (Outcome::BothBad, pair.both_bad),
            ] {
                if n > 0 {
                    self.add_n(pair.model_a, pair.model_b, outcome, n);
                }
            }
        }
        for (m, &n) in other.self_votes.iter().enumerate() {
            if n > 0 {
                let i = self.intern(&other.names[m]);
                self.add_indices(i, i, Outcome::A, n);
            }
        }
        for c in other.choices() {
            let at = |name: &str| c.models.iter().position(|&m| m == name);
            let best = at(c.best).expect("a member");
            let worst = c.worst.and_then(at);
            self.add_choice(&c.models, best, worst, c.count)
                .expect("a valid choice stays valid");
        }
    }

    /// Model names, in the order first seen.
    pub fn models(&self) -> &[String] {
        &self.names
    }

    /// Votes counted (self-battles excluded), pairwise and K-wise.
    pub fn total(&self) -> u64 {
        (0..self.cells.len())
            .map(|slot| self.cell_n(slot).iter().sum::<u64>())
            .sum::<u64>()
            + self.kwise_total()
    }

    /// Votes where a model met itself; not part of any pair.
    pub fn self_battles(&self) -> u64 {
        self.self_votes.iter().sum()
    }

    /// Self-battles per model, by interned index.
    pub(crate) fn self_battles_by_model(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.self_votes
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(m, &n)| (m, n))
    }

    /// `true` when no pair and no K-wise battle has a vote.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty() && self.kwise.is_empty()
    }

    /// Every pair with at least one vote, in the order first seen.
    pub fn pairs(&self) -> impl Iterator<Item = PairCounts<'_>> + '_ {
        self.cells.iter().enumerate().map(|(slot, &(lo, hi))| {
            let n = self.cell_n(slot);
            PairCounts {
                model_a: &self.names[lo as usize],
                model_b: &self.names[hi as usize],
                a_wins: n[0],
                b_wins: n[1],
                ties: n[2],
                both_bad: n[3],
            }
        })
    }

    /// The counts of the cell in `slot`: wins of its `lo`, of its `hi`, ties, both bad.
    fn cell_n(&self, slot: usize) -> [u64; 4] {
        let (lo, hi) = self.cells[slot];
        let place = self.place(lo, hi, slot);
        let hot = self.hot[place].map(u64::from);
        if self.wide.is_empty() {
            return hot;
        }
        match self.wide.get(&(place as u32)) {
            Some(wide) => std::array::from_fn(|k| hot[k] + wide[k]),
            None => hot,
        }
    }

    /// The counts between two models, seen from `model_a`'s side.
    pub fn pair(&self, model_a: &str, model_b: &str) -> Option<PairCounts<'_>> {
        let a = *self.index.get(model_a)?;
        let b = *self.index.get(model_b)?;
        let n = self.cell_n(*self.slots.get(&(a.min(b), a.max(b)))? as usize);
        let (a_wins, b_wins) = if a < b { (n[0], n[1]) } else { (n[1], n[0]) };
        Some(PairCounts {
            model_a: &self.names[a as usize],
            model_b: &self.names[b as usize],
            a_wins,
            b_wins,
            ties: n[2],
            both_bad: n[3],
        })
    }

    /// The index of `name`, adding it if new.
    #[inline]
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        match self.recent.get(name) {
            Some(i) => i,
            None => self.intern_unseen(name),
        }
    }

    /// [`Self::intern`] for a name not in the cache.
    #[inline(never)]
    fn intern_unseen(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            self.recent.put(name, i);
            return i;
        }
        let i = u32::try_from(self.names.len()).expect("fewer than 2^32 models");
        self.names.push(name.to_owned());
        self.index.insert(name.into(), i);
        self.recent.put(name, i);
        let n = self.names.len();
        if !self.sparse && n <= DENSE_MODELS {
            // The triangle grows at its end: the places of the pairs so far stay.
            self.hot.resize(n * (n - 1) / 2, [0; 4]);
        } else if !self.sparse {
            self.go_sparse();
        }
        i
    }

    /// Where the counts of the pair `lo < hi`, in `slot`, are kept in `hot`: in the
    /// triangle of all pairs by `hi`, then `lo`, while there are at most
    /// [`DENSE_MODELS`] models; else at the slot.
    #[inline]
    fn place(&self, lo: u32, hi: u32, slot: usize) -> usize {
        if self.sparse { slot } else { triangle(lo, hi) }
    }

    /// Moves the counts from the triangle to one cell per slot, for more models than
    /// a triangle should hold.
    fn go_sparse(&mut self) {
        let hot = self
            .cells
            .iter()
            .map(|&(lo, hi)| self.hot[triangle(lo, hi)])
            .collect();
        let wide = (self.cells.iter().enumerate())
            .filter_map(|(slot, &(lo, hi))| {
                let n = self.wide.get(&(triangle(lo, hi) as u32))?;
                Some((slot as u32, *n))
            })
            .collect();
        (self.hot, self.wide, self.sparse) = (hot, wide, true);
    }

    /// The slot of the pair `lo < hi`, made if new.
    fn slot(&mut self, lo: u32, hi: u32) -> usize {
        if let Some(&slot) = self.slots.get(&(lo, hi)) {
            return slot as usize;
        }
        let slot = self.cells.len();
        self.cells.push((lo, hi));
        self.slots.insert((lo, hi), slot as u32);
        if self.sparse {
            self.hot.push([0; 4]);
        }
        slot
    }

    /// Counts `n` votes of `a` against `b`. The common case (two models of a triangle,
    /// a pair seen before, a count that fits its cell) is inlined into the readers;
    /// anything else goes through [`Self::add_indices_in_full`].
    #[inline]
    pub(crate) fn add_indices(&mut self, a: u32, b: u32, outcome: Outcome, n: u64) {
        if a == b || self.sparse || n > u64::from(u32::MAX) {
            return self.add_indices_in_full(a, b, outcome, n);
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let k = count_index(a, b, outcome);
        let place = triangle(lo, hi);
        match self.hot.get_mut(place) {
            // A pair with counts has its slot; a cell that can take `n` more.
            Some(cell) if *cell != [0; 4] && cell[k] <= u32::MAX - n as u32 => {
                cell[k] += n as u32;
            }
            _ => self.add_indices_in_full(a, b, outcome, n),
        }
    }

    #[inline(never)]
    fn add_indices_in_full(&mut self, a: u32, b: u32, outcome: Outcome, n: u64) {
        if a == b {
            let a = a as usize;
            if self.self_votes.len() <= a {
                self.self_votes.resize(a + 1, 0);
            }
            self.self_votes[a] += n;
            return;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let k = count_index(a, b, outcome);
        let place = if self.sparse {
            self.slot(lo, hi)
        } else {
            let place = triangle(lo, hi);
            // A pair without counts may have no slot yet.
            if self.hot[place] == [0; 4] {
                self.slot(lo, hi);
            }
            place
        };
        let cell = &mut self.hot[place][k];
        match u32::try_from(n).ok().and_then(|n| cell.checked_add(n)) {
            Some(sum) => *cell = sum,
            None => {
                self.wide.entry(place as u32).or_default()[k] += u64::from(*cell) + n;
                *cell = 0;
            }
        }
    }
}

/// Which of its pair's four counts (lower index wins, higher index wins, tie, both
/// bad) a vote of `a` against `b` adds to: seen from the lower index's side, so with
/// `b` first a win of one is a win of the other. Without a branch, since which model
/// comes first is a coin toss from vote to vote.
#[inline]
fn count_index(a: u32, b: u32, outcome: Outcome) -> usize {
    let k = match outcome {
        Outcome::A => 0,
        Outcome::B => 1,
        Outcome::Tie => 2,
        Outcome::BothBad => 3,
    };
    k ^ (usize::from(a > b) & usize::from(k < 2))
}

/// The place of the pair `lo < hi` in a triangle of all pairs, by `hi`, then `lo`.
#[inline]
fn triangle(lo: u32, hi: u32) -> usize {
    let hi = hi as usize;
    hi * (hi - 1) / 2 + lo as usize
}

/// The canonical form the methods work on: models that have at least one counted
/// vote, sorted by name; pairs sorted by index, both-bad already folded in or dropped.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub names: Vec<String>,
    pub pairs: Vec<Pair>,
    /// K-wise votes, members as table indices (ascending), in the order first seen.
    pub choices: Vec<Choice>,
    /// Both-bad votes dropped by [`BothBad::Exclude`].
    pub both_bad_dropped: u64,
    /// Models whose only votes were dropped (listed in a warning, not rated).
    pub unrated: Vec<String>,
    /// Map from [`Counts`] index to table index (`None` for unrated models).
    pub from_counts: Vec<Option<usize>>,
}

/// One pair of the table: `i < j`, outcome counts as integers (the bootstrap
/// resamples them) with ties including both-bad votes when those count as ties, and
/// the weight of each of its votes in the likelihood (1, or arena-rank's
/// inverse-propensity weight when reweighted; a resample keeps the weight).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pair {
    pub i: usize,
    pub j: usize,
    pub wins_i: u64,
    pub wins_j: u64,
    pub ties: u64,
    pub weight: f64,
}

impl Pair {
    pub fn total(&self) -> f64 {
        (self.wins_i + self.wins_j + self.ties) as f64
    }

    /// Points of `i`: a tie is half a win for each side.
    pub fn score_i(&self) -> f64 {
        self.wins_i as f64 + 0.5 * self.ties as f64
    }

    pub fn score_j(&self) -> f64 {
        self.wins_j as f64 + 0.5 * self.ties as f64
    }
}

/// A pair for unit tests: `i` won `wins_i`, `j` won `wins_j`, `ties` ties.
#[cfg(test)]
pub(crate) fn pair(i: usize, j: usize, wins_i: u64, wins_j: u64, ties: u64) -> Pair {
    Pair {
        i,
        j,
        wins_i,
        wins_j,
        ties,
        weight: 1.0,
    }
}

impl Table {
    pub fn new(counts: &Counts, both_bad: BothBad) -> Table {
        let mut both_bad_dropped = 0;
        let kept: Vec<(u32, u32, [u64; 3])> = counts
            .cells
            .iter()
            .enumerate()
            .filter_map(|(slot, &(lo, hi))| {
                let c = counts.cell_n(slot);
                let ties = match both_bad {
                    BothBad::Tie => c[2] + c[3],
                    BothBad::Exclude => {
                        both_bad_dropped += c[3];
                        c[2]
                    }
                };
                let n = [c[0], c[1], ties];
                (n.iter().sum::<u64>() > 0).then_some((lo, hi, n))
            })
            .collect();
        let mut has_votes = vec![false; counts.names.len()];
        for &(lo, hi, _) in &kept {
            has_votes[lo as usize] = true;
            has_votes[hi as usize] = true;
        }
        for (key, _) in &counts.kwise {
            for &m in &key.members[..key.k as usize] {
                has_votes[m as usize] = true;
            }
        }
        let mut order: Vec<usize> = (0..counts.names.len()).filter(|&m| has_votes[m]).collect();
        order.sort_by(|&x, &y| counts.names[x].cmp(&counts.names[y]));
        let mut from_counts = vec![None; counts.names.len()];
        for (t, &m) in order.iter().enumerate() {
            from_counts[m] = Some(t);
        }
        let mut pairs: Vec<Pair> = kept
            .iter()
            .map(|&(lo, hi, n)| {
                let (x, y) = (
                    from_counts[lo as usize].unwrap_or(0),
                    from_counts[hi as usize].unwrap_or(0),
                );
                if x < y {
                    Pair {
                        i: x,
                        j: y,
                        wins_i: n[0],
                        wins_j: n[1],
                        ties: n[2],
                        weight: 1.0,
                    }
                } else {
                    Pair {
                        i: y,
                        j: x,
                        wins_i: n[1],
                        wins_j: n[0],
                        ties: n[2],
                        weight: 1.0,
                    }
                }
            })
            .collect();
        pairs.sort_by_key(|p| (p.i, p.j));
        let choices = counts
            .kwise
            .iter()
            .map(|&(key, count)| {
                let k = key.k as usize;
                // Table order is name order, not interned order: sort again.
                let mut order: Vec<usize> = (0..k).collect();
                let table_index =
                    |q: usize| from_counts[key.members[q] as usize].expect("a rated member");
                order.sort_by_key(|&q| table_index(q));
                let position = |q: u8| {
                    order
                        .iter()
                        .position(|&o| o == q as usize)
                        .expect("a member")
                };
                let mut members = [0; MAX_K];
                for (slot, &q) in order.iter().enumerate() {
                    members[slot] = table_index(q);
                }
                Choice {
                    members,
                    k,
                    best: position(key.best),
                    worst: (key.worst != u8::MAX).then(|| position(key.worst)),
                    count,
                    weight: 1.0,
                }
            })
            .collect();
        let mut unrated: Vec<String> = (0..counts.names.len())
            .filter(|&m| !has_votes[m])
            .map(|m| counts.names[m].clone())
            .collect();
        unrated.sort();
        Table {
            names: order.iter().map(|&m| counts.names[m].clone()).collect(),
            pairs,
            choices,
            both_bad_dropped,
            unrated,
            from_counts,
        }
    }

    pub fn n_models(&self) -> usize {
        self.names.len()
    }

    /// Votes in the fit (both-bad included when they count as ties), K-wise included.
    pub fn n_votes(&self) -> f64 {
        self.pairs.iter().map(Pair::total).sum::<f64>()
            + self.choices.iter().map(|c| c.count as f64).sum::<f64>()
    }

    /// Weighs each vote by the inverse of how often its pair was shown, as arena-rank's
    /// `PairDataset.from_pandas(reweighted=True)`: [`propensity_weight`] of the pair's
    /// votes (both-bad included when they count as ties).
    /// K-wise votes are weighed the same way by how often their set of models was shown.
    pub fn reweight(&mut self) {
        for p in &mut self.pairs {
            p.weight = propensity_weight(p.total());
        }
        let mut shown: FxHashMap<[usize; MAX_K], f64> = FxHashMap::default();
        for c in &self.choices {
            *shown.entry(c.members).or_default() += c.count as f64;
        }
        for c in &mut self.choices {
            c.weight = propensity_weight(shown[&c.members]);
        }
    }

    /// The pairs and the comparisons the K-wise votes imply, for the graph algorithms.
    pub fn graph_pairs(&self) -> std::borrow::Cow<'_, [Pair]> {
        crate::choice::graph_pairs(&self.pairs, &self.choices)
    }
}

/// The weight arena-rank's mean loss gives the votes of models against themselves:
/// their number, or reweighted, `votes · propensity_weight(votes)` per model.
pub(crate) fn self_battle_weight(counts: &Counts, reweight: bool) -> f64 {
    counts
        .self_battles_by_model()
        .map(|(_, n)| {
            let n = n as f64;
            if reweight {
                n * propensity_weight(n)
            } else {
                n
            }
        })
        .sum()
}

/// arena-rank's `min_pair_count`: a pair shown fewer times weighs as if shown this often,
/// so that a handful of votes on a rare pair cannot outweigh the rest.
pub(crate) const REWEIGHT_MIN_PAIR_COUNT: f64 = 50.0;

/// The weight of each vote of a pair shown `votes` times: `1 / max(votes, 50)`, so every
/// well-sampled pair weighs the same in total whatever the matchmaking favoured.
pub(crate) fn propensity_weight(votes: f64) -> f64 {
    1.0 / votes.max(REWEIGHT_MIN_PAIR_COUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_index_however_their_cache_slots_collide() {
        // Far more names than cache slots, short and long, looked up in rounds.
        let names: Vec<String> = (0..3_000)
            .map(|k| match k % 3 {
                0 => format!("m{k}"),
                1 => format!("model-{k:05}"),
                _ => format!("a-rather-long-model-name-{k}"),
            })
            .collect();
        let mut counts = Counts::new();
        for round in 0..3 {
            for (k, name) in names.iter().enumerate().rev().skip(round) {
                let first = counts.intern(name);
                let again = counts.intern(name);
                assert_eq!(first, again, "{k}");
                assert_eq!(counts.models()[again as usize], *name, "{k}");
            }
        }
        assert_eq!(counts.models().len(), names.len());
    }

    #[test]
    fn names_that_share_words_are_told_apart() {
        // Same first or last eight bytes, lengths either side of 8 and 16, and more
        // names than the cache has slots.
        let mut names: Vec<String> = (1..=20).map(|n| "x".repeat(n)).collect();
        names.extend(
            [
                "model-a-12345678",
                "model-b-12345678",
                "model-a-1234567",
                "a\0",
                "a",
            ]
            .map(String::from),
        );
        names.extend((0..3000).map(|i| format!("m{i}")));
        let mut counts = Counts::new();
        let first: Vec<u32> = names.iter().map(|n| counts.intern(n)).collect();
        let again: Vec<u32> = names.iter().map(|n| counts.intern(n)).collect();
        assert_eq!(first, again);
        assert_eq!(first, (0..names.len() as u32).collect::<Vec<_>>());
        assert_eq!(counts.models(), &names[..]);
    }

    #[test]
    fn counts_past_u32_max_carry_over() {
        let mut counts = Counts::new();
        counts.add_n("a", "b", Outcome::A, u64::from(u32::MAX));
        counts.add("a", "b", Outcome::A);
        counts.add("b", "a", Outcome::A);
        counts.add_n("b", "a", Outcome::Tie, 1 << 40);
        counts.add_n("a", "b", Outcome::Tie, u64::from(u32::MAX) - 1);
        counts.add("a", "b", Outcome::Tie);
        let pair = counts.pair("a", "b").unwrap();
        let ties = (1u64 << 40) + u64::from(u32::MAX);
        assert_eq!((pair.a_wins, pair.b_wins, pair.ties), (1 << 32, 1, ties));
        assert_eq!(counts.total(), (1 << 32) + 1 + ties);
        let mut merged = Counts::new();
        merged.merge(&counts);
        merged.merge(&counts);
        let pair = merged.pairs().next().unwrap();
        assert_eq!((pair.a_wins, pair.ties), (1 << 33, 2 * ties));
        // Past the models a triangle holds, the counts move to one cell per pair,
        // what lies beyond the cells with them.
        for i in 0..DENSE_MODELS {
            counts.add(&format!("m{i}"), "a", Outcome::B);
        }
        let pair = counts.pair("b", "a").unwrap();
        assert_eq!((pair.a_wins, pair.b_wins, pair.ties), (1, 1 << 32, ties));
        assert_eq!(counts.pair("a", "m7").unwrap().a_wins, 1);
        assert_eq!(counts.total(), (1 << 32) + 1 + ties + DENSE_MODELS as u64);
    }

    #[test]
    fn pairs_are_found_with_and_beyond_the_dense_table() {
        for models in [3, 40, DENSE_MODELS + 5] {
            let mut counts = Counts::new();
            for i in 0..models {
                counts.add_n(
                    &format!("m{i}"),
                    &format!("m{}", (i + 1) % models),
                    Outcome::A,
                    2,
                );
                counts.add_n(
                    &format!("m{}", (i + 1) % models),
                    &format!("m{i}"),
                    Outcome::A,
                    1,
                );
            }
            assert_eq!(counts.total(), 3 * models as u64);
            let pair = counts.pair("m1", "m0").unwrap();
            assert_eq!((pair.a_wins, pair.b_wins), (1, 2), "{models}");
        }
    }
}
