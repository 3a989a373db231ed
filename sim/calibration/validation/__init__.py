"""Validation experiments as code that returns data (dicts, DataFrames); ``docs/make_validation.py``
only calls these, draws the figures and renders ``docs/validation.md``.

One module per concern:

* :mod:`.runs` -- replicated runs through the runner (experiment -> backend -> store, seeds from
  :func:`~sim.runner.seeds.run_seed`), and intervals from :mod:`sim.stats`;
* :mod:`.harris_todaro` -- the one-city scenario against Harris-Todaro and the logit fixed point;
* :mod:`.city_sizes` -- ζ over time with caps off, and what caps do to the city-size distribution;
* :mod:`.real_network` -- the ``china`` network against GeoNames: sizes, ζ at cut-offs, primacy;
* :mod:`.calibration_report` -- the calibrated scenario at fresh seeds against every target;
* :mod:`.published` -- policy runs on the calibrated model, Au-Henderson's inverted U, published claims;
* :mod:`.sensitivity` -- the runner's Sobol experiment;
* :mod:`.posterior` -- the posterior predictive check and draws of an ABC posterior.
"""

from .calibration_report import calibration_runs, edges, passed, read_report, target_check
from .city_sizes import cap_effect, zipf_runs, zipf_trend, zipf_trends
from .harris_todaro import harris_todaro, predicted_share
from .posterior import posterior_check, posterior_draws, posterior_summary
from .published import inverted_u, policy_runs, published_comparison
from .real_network import real_network
from .runs import Execution, Replications, ValidationRunError, difference, mean_interval, replicate, sign_of
from .sensitivity import sensitivity

__all__ = ["Execution", "Replications", "ValidationRunError", "calibration_runs", "cap_effect", "difference",
           "edges", "harris_todaro", "inverted_u", "mean_interval", "passed", "policy_runs", "posterior_check",
           "posterior_draws", "posterior_summary", "predicted_share", "published_comparison", "read_report",
           "real_network", "replicate", "sensitivity", "sign_of", "target_check", "zipf_runs", "zipf_trend",
           "zipf_trends"]
