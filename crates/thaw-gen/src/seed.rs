//! Seeds derived from (seed, stream, indices): every random choice of a task is a pure
//! function of where it is made, so tasks can be made in any order, in chunks, or again
//! after a kill, with the same result.

/// Streams: which kind of random choice a derived seed is for.
pub mod stream {
    /// The Adam configurations (shared by every task, as in TaskSet).
    pub const CONFIGS: u64 = 1;
    /// A task's architecture and data-set choices.
    pub const TASK: u64 = 2;
    /// A task's data (split, teacher, draws).
    pub const DATA: u64 = 3;
    /// A configuration's initial weights.
    pub const INIT: u64 = 4;
    /// The minibatch of one step.
    pub const BATCH: u64 = 5;
}

/// splitmix64's finaliser.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed for `stream` at `indices`, derived from `seed`.
pub fn derive(seed: u64, stream: u64, indices: &[u64]) -> u64 {
    let mut h = mix64(seed ^ mix64(stream));
    for &i in indices {
        h = mix64(h ^ mix64(i.wrapping_add(0x51_7cc1_b727_220a)));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_indices_give_different_seeds() {
        let a = derive(0, stream::INIT, &[0, 1]);
        assert_ne!(a, derive(0, stream::INIT, &[1, 0]));
        assert_ne!(a, derive(0, stream::BATCH, &[0, 1]));
        assert_ne!(a, derive(1, stream::INIT, &[0, 1]));
        assert_eq!(a, derive(0, stream::INIT, &[0, 1]));
    }
}
