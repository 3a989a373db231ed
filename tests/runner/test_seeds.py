import numpy as np

from sim.runner.seeds import run_seed, stable_hash


def test_stable_hash_is_fixed_across_processes():
    # sha256-based: a known value, unlike the salted built-in hash()
    assert stable_hash("neutral") == int.from_bytes(__import__("hashlib").sha256(b"neutral").digest()[:8], "little")
    assert stable_hash("neutral") != stable_hash("cap")


def test_seeds_are_distinct_and_order_free():
    keys = [(s, p, r) for s in ("neutral", "cap", "decentralize") for p in range(5) for r in range(40)]
    seeds = [run_seed(11, *k) for k in keys]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds)
    # the same key gives the same seed whatever order they are asked in
    again = {k: run_seed(11, *k) for k in reversed(keys)}
    assert [again[k] for k in keys] == seeds
    assert run_seed(12, "neutral", 0, 0) != run_seed(11, "neutral", 0, 0)


def test_seed_matches_seedsequence_recipe():
    ss = np.random.SeedSequence([3, stable_hash("cap"), 2, 5])
    assert run_seed(3, "cap", 2, 5) == int(ss.generate_state(1, dtype=np.uint64)[0]) & (2**63 - 1)
