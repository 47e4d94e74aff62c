"""Reference leaderboards for the reweighted and the contextual (style-controlled)
Bradley–Terry fits, computed by arena-rank 0.1.1 on the shared real vote sets.

    python3 -m venv /tmp/ar && /tmp/ar/bin/pip install arena-rank==0.1.1 pandas
    /tmp/ar/bin/python evaluator/tests/reference/make.py [SHARED_DATA_DIR]

writes `<dataset>.<method>.json` beside this script, in the shape of
`shared/data/reference` (`ratings: {model: {rating, ci_low, ci_high, n_battles}}`),
plus `coefficients: {name: {coefficient, ci_low, ci_high}}` for the contextual fits.

The public sets carry no image statistics, so the contextual fits use covariates
derived from what each vote does carry, in file order (the evaluator's test
derives the same ones, see `tests/contextual.rs`):

* `seen_diff`: battles model A had been in before this one, minus model B's
  (an A-minus-B covariate, as style features are);
* `hour` (GenAI-Arena): the UTC hour of the vote, `(tstamp mod 86400) / 3600`;
* `voter_votes` (LLMFAO): votes this voter had cast before this one.

arena-rank's bootstrap draws with JAX's generator, which the evaluator does not
reproduce: those references are compared loosely. Coefficient bounds come from
arena-rank's own `compute_hessian_and_covariance` (its result omits them).
"""

import json
import math
import multiprocessing
import os
import sys

import jax
import jax.numpy as jnp
import pandas as pd
from arena_rank.models.bradley_terry import BradleyTerry
from arena_rank.models.contextual_bradley_terry import ContextualBradleyTerry
from arena_rank.utils.data_utils import ContextualPairDataset, PairDataset

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../../shared/data")

# (name, file, covariates, with the 100-round bootstraps: each of arena-rank's
# resamples compiles its optimiser anew, which takes minutes a data set)
DATASETS = [
    ("genai_t2i_anony", "genai-arena/genai_arena_20240220_t2i_anony.jsonl", ["seen_diff", "hour"], True),
    ("genai_t2i_full", "genai-arena/genai_arena_20240220_t2i.jsonl", ["seen_diff", "hour"], False),
    ("llmfao", "llmfao/llmfao.jsonl", ["seen_diff", "voter_votes"], False),
]


class SerialPool:
    """arena-rank's bootstrap forks a process pool after JAX has started its threads,
    which can hang; the same resamples fitted one after another give the same result."""

    def __init__(self, processes=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starmap(self, function, arguments):
        return [function(*a) for a in arguments]


multiprocessing.Pool = SerialPool


def derive(df):
    seen = {}
    diff = []
    for a, b in zip(df["model_a"], df["model_b"]):
        diff.append(float(seen.get(a, 0) - seen.get(b, 0)))
        seen[a] = seen.get(a, 0) + 1
        seen[b] = seen.get(b, 0) + 1
    df["seen_diff"] = diff
    if "tstamp" in df:
        df["hour"] = [(t % 86400.0) / 3600.0 for t in df["tstamp"]]
    if "voter" in df:
        df["voter_votes"] = df.groupby("voter").cumcount().astype(float)
    return df


def battles(df):
    counts = pd.concat([df["model_a"], df["model_b"]]).value_counts()
    return {m: int(n) for m, n in counts.items()}


def ratings_json(result, n_battles):
    return {
        m: {
            "rating": float(result["ratings"][i]),
            "ci_low": float(result["rating_lower"][i]),
            "ci_high": float(result["rating_upper"][i]),
            "n_battles": n_battles[m],
        }
        for i, m in enumerate(result["competitors"])
    }


def write(name, source, n_votes, method, ratings, **extra):
    out = {"dataset": name, "source_file": source, "n_votes": n_votes, "method": method, "ratings": ratings}
    out.update(extra)
    path = os.path.join(HERE, f"{name}.{method}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", path)


def main():
    # Every sandwich first (seconds), then the bootstraps (minutes).
    for ci in ["sandwich", "bootstrap"]:
        for name, source, features, bootstrap in DATASETS:
            if ci == "bootstrap" and not bootstrap:
                continue
            df = derive(pd.read_json(os.path.join(DATA, source), lines=True, dtype={"voter": str}))
            n_battles = battles(df)
            suffix = "sandwich" if ci == "sandwich" else "bootstrap100_seed42"

            data = PairDataset.from_pandas(df, reweighted=True)
            model = BradleyTerry(n_competitors=len(data.competitors))
            result = model.compute_ratings_and_cis(data, ci_method=ci, num_bootstrap=100, seed=42)
            write(name, source, len(df), "arena_rank_reweighted_" + suffix, ratings_json(result, n_battles))

            data = ContextualPairDataset.from_pandas(df, feature_cols=features)
            model = ContextualBradleyTerry(n_competitors=len(data.competitors), n_features=len(features))
            result = model.compute_ratings_and_cis(data, ci_method=ci, num_bootstrap=100, seed=42)
            coefficients = {}
            if ci == "sandwich":
                n_obs = data.pairs.shape[0]
                hessian, grad_cov = model.compute_hessian_and_covariance(
                    model.params["ratings"], model.params["coeffs"], data.pairs, data.features,
                    data.outcomes, data.weights, model.reg, model.hessian_reg,
                    model.n_competitors, model.n_features, n_obs,
                )
                inv = jnp.linalg.inv(hessian)
                variances = jnp.diag(inv @ grad_cov @ inv) / n_obs
                z = float(jax.scipy.stats.norm.ppf(0.975))
                for k, feature in enumerate(features):
                    c = float(result["coeffs"][k])
                    se = math.sqrt(float(variances[model.n_competitors + k]))
                    coefficients[feature] = {"coefficient": c, "ci_low": c - z * se, "ci_high": c + z * se}
            else:
                coefficients = {f: {"coefficient": float(result["coeffs"][k])} for k, f in enumerate(features)}
            write(name, source, len(df), "arena_rank_contextual_" + suffix, ratings_json(result, n_battles),
                  coefficients=coefficients)


if __name__ == "__main__":
    main()
