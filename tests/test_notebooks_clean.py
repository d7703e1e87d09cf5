"""Committed notebooks carry no outputs and no saved widget state (the course is executed, not stored),
and every chapter notebook opens with an Open-in-Colab badge and a Colab-only install cell.
The same check as the project's before-stop hook, run by `make test`."""
import json
from pathlib import Path
import pytest

NBS = sorted((Path(__file__).resolve().parents[1] / "nbs").glob("*.ipynb"))

def dirty(nb:dict) -> list[str]:
    "What a notebook stores that it should not: outputs, execution counts or widget state."
    bad = [f"cell {i} has outputs" for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c.get("outputs")]
    if "widgets" in nb.get("metadata", {}): bad.append("widget state in the notebook metadata")
    bad += [f"cell {i} has widget metadata" for i, c in enumerate(nb["cells"]) if "widgets" in c.get("metadata", {})]
    return bad

def test_dirty_detects_outputs_and_widget_state():
    nb = {"metadata": {"widgets": {}}, "cells": [{"cell_type": "code", "outputs": [{"output_type": "stream"}], "metadata": {}}]}
    assert dirty(nb) == ["cell 0 has outputs", "widget state in the notebook metadata"]
    assert dirty({"metadata": {}, "cells": [{"cell_type": "code", "outputs": [], "metadata": {}}]}) == []

@pytest.mark.parametrize("path", NBS, ids=[p.name for p in NBS])
def test_notebook_is_clean(path):
    bad = dirty(json.loads(path.read_text(encoding="utf-8")))
    assert not bad, f"{path.name}: {'; '.join(bad)}: run nbdev-clean (or clear outputs) and commit"

CHAPTERS = [p for p in NBS if p.name[:2].isdigit()]

@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_has_colab_badge_and_install_cell(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"][:4]
    src = ["".join(c["source"]) for c in cells]
    assert any("colab-badge.svg" in s and f"nbs/{path.name}" in s for s in src), f"{path.name}: no Open-in-Colab badge near the top"
    assert any(c["cell_type"] == "code" and '"google.colab" in sys.modules' in s and "pip install" in s for c, s in zip(cells, src)), \
        f"{path.name}: no Colab-only install cell near the top"

def test_colab_gpu_stays_quick(monkeypatch):
    "On a Colab GPU the mode stays quick: full is one explicit line, %env DSEL_MODE=full."
    import dsel_course.core as core
    for k in ("DSEL_MODE", "IN_TEST"): monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(core, "on_colab_gpu", lambda: True)
    assert core.get_mode() == "quick"
    monkeypatch.setenv("DSEL_MODE", "full"); assert core.get_mode() == "full"     # the explicit choice
    monkeypatch.delenv("DSEL_MODE"); monkeypatch.setenv("IN_TEST", "1"); assert core.get_mode() == "ci"
