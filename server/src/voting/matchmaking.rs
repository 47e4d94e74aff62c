//! Matchmaking: which images a voter sees. A prompt is drawn uniformly from those
//! with servable images of at least two models ([`PromptPool`]); two distinct models
//! (three or four for a K-wise battle) are drawn with probability proportional to their weights (uniform by default) or,
//! with `matchmaking = "active"`, where the cached leaderboard is least sure of a close
//! order ([`arena_evaluator::matchmaking`]); one of each model's images is taken at
//! random, and the sides are shuffled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arena_evaluator::Leaderboard;
use arena_evaluator::matchmaking::{ModelState, Strategy, choose};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use tokio::sync::Mutex;

use crate::store::{Candidate, Result, Store};

/// How long a server draws prompts from the list it read before reading it again: new
/// pool images take this long to be shown, and nothing else depends on it (a drawn
/// prompt's images are read fresh, see [`PromptPool::forget`]).
pub const PROMPT_LIST_FRESH: Duration = Duration::from_secs(5);

/// The prompts a pool battle can be drawn from, per category, as this server last read
/// them. Reading the list groups every servable image of the pool — too much to do for
/// every battle served (it was most of the database's work under load); drawing from
/// a list a few seconds old is as uniform.
#[derive(Default)]
pub struct PromptPool {
    lists: Mutex<HashMap<Option<String>, PromptList>>,
}

/// The votable prompts of one category (`None`: all) and when they were read.
type PromptList = (Instant, Arc<Vec<i64>>);

impl PromptPool {
    /// A prompt drawn uniformly from those with servable images of two models or more
    /// (within `category`); `None` when there is none yet.
    pub async fn draw(&self, store: &Store, category: Option<&str>) -> Result<Option<i64>> {
        let key = category.map(str::to_string);
        let cached = self.lists.lock().await.get(&key).cloned();
        let list = match cached {
            Some((read_at, list)) if read_at.elapsed() < PROMPT_LIST_FRESH => list,
            _ => {
                let list = Arc::new(store.pool_prompts(category).await?);
                // An empty pool is asked again next time: its first images count.
                if !list.is_empty() {
                    self.lists
                        .lock()
                        .await
                        .insert(key, (Instant::now(), list.clone()));
                }
                list
            }
        };
        Ok(list.choose(&mut rand::rng()).copied())
    }

    /// Drops the lists: a drawn prompt no longer had two models' images (retired, or a
    /// model disabled), so the next battle reads them again.
    pub async fn forget(&self) {
        self.lists.lock().await.clear();
    }
}

/// What active matchmaking knows of each model (by slug) from the cached default
/// leaderboard, and the share of battles it draws uniformly all the same.
pub struct Active<'s> {
    pub states: &'s HashMap<String, ModelState>,
    pub exploration: f64,
}

/// Each rated model's rating, standard error and battles, from a leaderboard.
pub fn model_states(board: &Leaderboard) -> HashMap<String, ModelState> {
    board
        .models
        .iter()
        .map(|e| (e.model.clone(), ModelState::from_entry(e, board.level)))
        .collect()
}

/// Picks two images of distinct models from `candidates`, in display order (A, B):
/// see [`choose_set`].
pub fn choose_pair<'c>(
    candidates: &'c [Candidate],
    weights: &HashMap<String, f64>,
    active: Option<&Active<'_>>,
    rng: &mut impl Rng,
) -> Option<[&'c Candidate; 2]> {
    let set = choose_set(candidates, 2, weights, active, rng)?;
    Some([set[0], set[1]])
}

/// Picks images of `k` distinct models from `candidates`, in display order (A, B, …):
/// uniformly by weight, or with `active` by [`arena_evaluator::matchmaking::choose`]
/// (a model the board does not rate yet counts as unmeasured, and is shown more); one
/// image of each model at random, the order shuffled. `None` when fewer than `k`
/// models with a positive weight are present.
pub fn choose_set<'c>(
    candidates: &'c [Candidate],
    k: usize,
    weights: &HashMap<String, f64>,
    active: Option<&Active<'_>>,
    rng: &mut impl Rng,
) -> Option<Vec<&'c Candidate>> {
    let mut by_model: Vec<(i64, f64, Vec<&Candidate>)> = Vec::new();
    for c in candidates {
        let weight = weights.get(&c.model_slug).copied().unwrap_or(c.weight);
        if weight.is_nan() || weight <= 0.0 {
            continue;
        }
        match by_model.iter_mut().find(|(id, _, _)| *id == c.model_id) {
            Some((_, _, images)) => images.push(c),
            None => by_model.push((c.model_id, weight, vec![c])),
        }
    }
    let unmeasured = |weight: f64| ModelState {
        rating: 1000.0,
        se: f64::NAN,
        battles: 0,
        weight,
    };
    let states: Vec<ModelState> = by_model
        .iter()
        .map(|(_, weight, images)| {
            let known = active.and_then(|a| a.states.get(&images[0].model_slug).copied());
            ModelState {
                weight: *weight,
                ..known.unwrap_or(unmeasured(*weight))
            }
        })
        .collect();
    let (strategy, exploration) = match active {
        Some(active) => (Strategy::Active, active.exploration),
        None => (Strategy::Uniform, 1.0),
    };
    let chosen = choose(&states, k, strategy, exploration, rng)?;
    let mut set = chosen
        .into_iter()
        .map(|m| by_model[m].2.choose(rng).copied())
        .collect::<Option<Vec<&Candidate>>>()?;
    set.shuffle(rng);
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn cand(generation_id: i64, model_id: i64, weight: f64) -> Candidate {
        Candidate {
            generation_id,
            model_id,
            model_slug: format!("m{model_id}"),
            weight,
        }
    }

    #[test]
    fn pairs_always_have_two_distinct_models() {
        let cands = vec![
            cand(1, 1, 1.0),
            cand(2, 1, 1.0),
            cand(3, 2, 1.0),
            cand(4, 3, 1.0),
        ];
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let [a, b] = choose_pair(&cands, &HashMap::new(), None, &mut rng).unwrap();
            assert_ne!(a.model_id, b.model_id);
        }
    }

    #[test]
    fn kwise_sets_have_distinct_models_each_shown_alike_and_need_enough_models() {
        let mut cands: Vec<Candidate> = (1..=5).map(|m| cand(m, m, 1.0)).collect();
        cands.push(cand(10, 1, 1.0));
        let mut rng = StdRng::seed_from_u64(11);
        let mut first = [0u32; 5];
        let rounds = 5000;
        for _ in 0..rounds {
            let set = choose_set(&cands, 4, &HashMap::new(), None, &mut rng).unwrap();
            let mut models: Vec<i64> = set.iter().map(|c| c.model_id).collect();
            first[(models[0] - 1) as usize] += 1;
            models.sort();
            models.dedup();
            assert_eq!(models.len(), 4);
        }
        // Each model comes first in a fifth of the sets: the order is shuffled.
        for n in first {
            assert!((900..1100).contains(&n), "{first:?}");
        }
        let three: Vec<Candidate> = (1..=3).map(|m| cand(m, m, 1.0)).collect();
        assert!(choose_set(&three, 4, &HashMap::new(), None, &mut rng).is_none());
        assert_eq!(
            choose_set(&three, 3, &HashMap::new(), None, &mut rng).map(|s| s.len()),
            Some(3)
        );
    }

    #[test]
    fn one_model_is_not_a_battle() {
        let cands = vec![cand(1, 1, 1.0), cand(2, 1, 1.0)];
        assert!(
            choose_pair(&cands, &HashMap::new(), None, &mut StdRng::seed_from_u64(1)).is_none()
        );
    }

    #[test]
    fn models_are_drawn_uniformly_and_sides_are_shuffled() {
        let cands = vec![cand(1, 1, 1.0), cand(2, 2, 1.0), cand(3, 3, 1.0)];
        let mut rng = StdRng::seed_from_u64(3);
        let mut appearances = [0u32; 3];
        let mut model1_on_left = 0;
        let rounds = 6000;
        for _ in 0..rounds {
            let [a, b] = choose_pair(&cands, &HashMap::new(), None, &mut rng).unwrap();
            appearances[(a.model_id - 1) as usize] += 1;
            appearances[(b.model_id - 1) as usize] += 1;
            model1_on_left += u32::from(a.model_id == 1);
        }
        for n in appearances {
            // each model is in 2/3 of the battles: 4000 ± a few standard deviations
            assert!((3800..4200).contains(&n), "{appearances:?}");
        }
        assert!((1800..2200).contains(&model1_on_left), "{model1_on_left}");
    }

    #[test]
    fn config_weights_override_and_zero_excludes() {
        let cands = vec![cand(1, 1, 1.0), cand(2, 2, 1.0), cand(3, 3, 1.0)];
        let weights = HashMap::from([("m3".to_string(), 0.0)]);
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..200 {
            let pair = choose_pair(&cands, &weights, None, &mut rng).unwrap();
            assert!(pair.iter().all(|c| c.model_id != 3));
        }
    }

    #[test]
    fn active_matchmaking_shows_an_unrated_model_more_and_keeps_weights() {
        // Ten measured models close together, one model the board has never rated.
        let mut board_states = HashMap::new();
        for m in 1..=10 {
            let state = ModelState {
                rating: 1000.0 + 10.0 * m as f64,
                se: 8.0,
                battles: 5000,
                weight: 1.0,
            };
            board_states.insert(format!("m{m}"), state);
        }
        let mut cands: Vec<Candidate> = (1..=11).map(|m| cand(m, m, 1.0)).collect();
        // Two images of one model do not make it more likely.
        cands.push(cand(100, 1, 1.0));
        let active = Active {
            states: &board_states,
            exploration: 0.2,
        };
        let mut rng = StdRng::seed_from_u64(3);
        let draws = 5000;
        let mut new_model = 0;
        for _ in 0..draws {
            let [a, b] = choose_pair(&cands, &HashMap::new(), Some(&active), &mut rng).unwrap();
            assert_ne!(a.model_id, b.model_id);
            new_model += usize::from(a.model_id == 11 || b.model_id == 11);
        }
        let uniform = draws as f64 * 2.0 / 11.0;
        assert!(new_model as f64 > 2.0 * uniform, "{new_model} vs {uniform}");
        // A zero weight still excludes, whatever the board says.
        let weights = HashMap::from([("m11".to_string(), 0.0)]);
        for _ in 0..500 {
            let pair = choose_pair(&cands, &weights, Some(&active), &mut rng).unwrap();
            assert!(pair.iter().all(|c| c.model_id != 11));
        }
    }
}
