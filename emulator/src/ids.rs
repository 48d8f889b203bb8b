//! The one place an org's generated GUIDs come from: record ids, job ids, request ids and
//! `$batch` boundaries. Random by default; seeded in deterministic mode (`--deterministic
//! --seed N`), so the same requests in the same order get the same ids in every run.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use uuid::Uuid;

/// Generates version-4 GUIDs, from the OS or from a seeded generator.
#[derive(Default)]
pub struct IdGenerator {
    /// The seeded generator and how many ids it has given; `None` means random ids.
    seeded: Option<Mutex<(StdRng, u64)>>,
    /// The seed it started from.
    seed: Option<u64>,
}

impl IdGenerator {
    /// Random ids (`Uuid::new_v4`).
    pub fn random() -> IdGenerator {
        IdGenerator { seeded: None, seed: None }
    }

    /// A repeatable sequence of ids from `seed`.
    pub fn seeded(seed: u64) -> IdGenerator {
        IdGenerator { seeded: Some(Mutex::new((StdRng::seed_from_u64(seed), 0))), seed: Some(seed) }
    }

    /// The seed, for seeded generators: orgs made from a deterministic fixture derive
    /// their own seeds from it.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// Whether ids repeat between runs.
    pub fn is_seeded(&self) -> bool {
        self.seeded.is_some()
    }

    /// The next id. Seeded ids are still well-formed version-4 GUIDs.
    pub fn new_id(&self) -> Uuid {
        match &self.seeded {
            // The thread's CSPRNG (seeded once from the OS) rather than `Uuid::new_v4`,
            // which asks the OS for every id: a system call per created row.
            None => uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
            Some(rng) => {
                let mut bytes = [0u8; 16];
                let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
                rng.0.fill_bytes(&mut bytes);
                rng.1 += 1;
                uuid::Builder::from_random_bytes(bytes).into_uuid()
            }
        }
    }

    /// How many ids a seeded generator has given (`None` for random ids): what the state
    /// file keeps, so that a restarted deterministic emulator goes on with the sequence
    /// instead of handing out the ids of the rows it saved again.
    pub fn drawn(&self) -> Option<u64> {
        self.seeded.as_ref().map(|rng| rng.lock().unwrap_or_else(|p| p.into_inner()).1)
    }

    /// Moves a seeded generator on until it has given `count` ids (no-op for random ids
    /// or when it is already past that).
    pub fn skip_to(&self, count: u64) {
        if let Some(rng) = &self.seeded {
            let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
            let mut bytes = [0u8; 16];
            while rng.1 < count {
                rng.0.fill_bytes(&mut bytes);
                rng.1 += 1;
            }
        }
    }
}

impl std::fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_seeded() { "IdGenerator(seeded)" } else { "IdGenerator(random)" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_are_v4() {
        let (a, b) = (IdGenerator::seeded(7), IdGenerator::seeded(7));
        let first: Vec<Uuid> = (0..3).map(|_| a.new_id()).collect();
        let second: Vec<Uuid> = (0..3).map(|_| b.new_id()).collect();
        assert_eq!(first, second);
        assert_ne!(first[0], first[1]);
        assert_eq!(first[0].get_version_num(), 4);
        assert_ne!(IdGenerator::seeded(8).new_id(), first[0]);
    }

    #[test]
    fn a_seeded_generator_skipped_to_where_another_stood_goes_on_like_it() {
        let (a, b) = (IdGenerator::seeded(7), IdGenerator::seeded(7));
        for _ in 0..5 {
            a.new_id();
        }
        assert_eq!(a.drawn(), Some(5));
        b.skip_to(5);
        assert_eq!(b.new_id(), a.new_id());
        b.skip_to(2);
        assert_eq!(b.drawn(), Some(6), "never goes back");
        assert_eq!(IdGenerator::random().drawn(), None);
    }
}
