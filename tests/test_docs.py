"""The documentation stays true to the code."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sim import params
from sim.model import MigrationModel

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_model_md_parameter_table_matches_the_code():
    assert params.markdown_table() in (DOCS / "model.md").read_text()


def test_model_md_schedule_matches_step():
    text = (DOCS / "model.md").read_text()
    documented = re.findall(r"\(`(_[a-z_]+)`\)", text.split("### I.iii")[1].split("## II.")[0])
    in_code = re.findall(r"self\.(_[a-z_]+)\(\)", inspect.getsource(MigrationModel.step))
    assert documented == in_code


def test_model_md_policy_table_matches_the_registry():
    from sim import policies
    assert policies.markdown_table() in (DOCS / "model.md").read_text()
