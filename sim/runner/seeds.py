"""Run seeds from :class:`numpy.random.SeedSequence`, keyed by what identifies a run.

A run's seed depends only on the experiment's base seed, the scenario's label, the design
point's index and the replication number: never on the backend, the number of workers, the
order in which runs finish or how often a sweep was interrupted and resumed.
"""

from __future__ import annotations

import hashlib

import numpy as np

SEED_BITS = 63  # fits a signed 64-bit integer (SQLite INTEGER) and any RNG that takes an int


def stable_hash(text: str) -> int:
    """A 64-bit integer from ``text`` that is the same in every process and Python version
    (unlike :func:`hash`, which is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def run_seed(base_seed: int, scenario: str, point: int, replication: int) -> int:
    """The seed of replication ``replication`` of design point ``point`` of ``scenario``."""
    ss = np.random.SeedSequence([int(base_seed), stable_hash(scenario), int(point), int(replication)])
    return int(ss.generate_state(1, dtype=np.uint64)[0]) & ((1 << SEED_BITS) - 1)
