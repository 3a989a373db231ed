"""Urban-to-urban movers: urban-hukou people (graduates, skilled workers) who move between cities.

They shape which cities grow (the 2020 census floating population counts them: everyone living away from
the place of their hukou registration).  Movers are tracked per city of residence as a stock of people with
another city's urban hukou; they take formal jobs like natives but use local services only as far as
migrants may; points-based admission converts them into the city's own natives.

Each year a share ``urban_mobility`` of natives and of movers reconsiders, plus the year's graduates of higher
education (an observed series in ``china``) as a share of urban-hukou people, once the work-unit tie is lifted.  A reconsidering person in city i
chooses among the active cities by logit over log net value (wage - formal rent - living cost + the services
it may use - moving cost spread over the horizon), each city weighted by how well it is known from i
(size x 2^(-km / information_distance)); staying weighs as much as all the other cities together (as the
rural movers' nest).  People; yuan a year.
"""

from __future__ import annotations

import numpy as np

from .migration import NOISE_FLOOR


def destination_shares(value: np.ndarray, known: np.ndarray, noise: float) -> np.ndarray:
    """(C, C) share of the reconsidering people of city i (row) who choose city j (column).

    ``value[i, j]`` is the net value (yuan a year) of living in j for someone now in i; ``known[i, j]`` how
    well j is known from i (0 for closed cities).  The diagonal (staying) is weighted by the row's sum.
    """
    weight = np.array(known, dtype=float)
    np.fill_diagonal(weight, 0.0)
    np.fill_diagonal(weight, np.maximum(weight.sum(axis=1), 1e-300))
    u = np.log(np.maximum(value, 1.0))
    if noise <= NOISE_FLOOR:
        best = np.where(weight > 0, u, -np.inf)
        choice = (best == best.max(axis=1, keepdims=True)) & (weight > 0)
        return choice / choice.sum(axis=1, keepdims=True)
    z = np.where(weight > 0, (u - u.max(axis=1, keepdims=True)) / noise, -np.inf)
    e = weight * np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def reconsider_share(base: float, graduates: float, urban_people: float, block: float) -> float:
    """Share of urban-hukou people who choose a city this year: the ``base`` share plus the year's ``graduates``
    (people entering the labour market, times ``graduate_mobility``) over the ``urban_people`` (people), less the
    share ``block`` the work-unit tie stops; at most 1."""
    fresh = graduates / urban_people if urban_people > 0 else 0.0
    return min((base + fresh) * (1.0 - block), 1.0)


def flows(natives: np.ndarray, movers: np.ndarray, shares: np.ndarray, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(C, C) people moving from city i (row) to city j (column) this year: (natives, movers).

    A share ``rate`` of each city's natives and movers reconsiders and chooses by ``shares``.
    """
    stay = np.diag(shares)
    off = shares * (1.0 - np.eye(len(natives)))
    with np.errstate(invalid="ignore", divide="ignore"):
        out_share = np.where(off.sum(axis=1) > 0, off / np.maximum(off.sum(axis=1, keepdims=True), 1e-300), 0.0)
    return (rate * natives * (1.0 - stay))[:, None] * out_share, (rate * movers * (1.0 - stay))[:, None] * out_share


def move(natives: np.ndarray, movers: np.ndarray, flow_natives: np.ndarray, flow_movers: np.ndarray,
         admitted: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """New (natives, movers) per city after the ``flows``; only a share ``admitted`` (per destination, default
    all) of those arriving in a city may settle there, the others stay where they are.

    Natives who leave become movers where they go; movers who move stay movers (their hukou is elsewhere).
    Totals are kept exactly.
    """
    if admitted is not None:
        flow_natives, flow_movers = flow_natives * admitted[None, :], flow_movers * admitted[None, :]
    arriving = flow_natives.sum(axis=0) + flow_movers.sum(axis=0)
    return natives - flow_natives.sum(axis=1), movers - flow_movers.sum(axis=1) + arriving


def admit(natives: np.ndarray, movers: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points-based admission: a share ``rate`` (per city) of its movers becomes its natives."""
    admitted = np.clip(rate, 0.0, 1.0) * movers
    return natives + admitted, movers - admitted
