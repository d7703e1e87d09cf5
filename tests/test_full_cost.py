"""Every chapter's first cell states its full-mode cost, and the line is the one `dsel_course.core.full_cost_line` writes.

The cost table (`full_cost`, nbs/00_core.ipynb) counts each chapter's FLOPs from the `full` sizes in `SIZES`; a chapter's
header cannot drift from it: change a size, and this test names the chapters whose line must change. Chapter 4b's own
estimate (`labs.full_path.estimate_full_mode`, from the GPU table in core) must agree with the table's count.
"""
import json
from pathlib import Path
import pytest

from dsel_course.core import full_cost, full_cost_line, _cost_jobs
from dsel_course.coursetext import is_chapter

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "nbs").glob("*.ipynb") if is_chapter(p))


def test_every_chapter_has_a_cost_and_only_chapters():
    assert len(CHAPTERS) >= 15
    assert set(_cost_jobs()) == {p.stem for p in CHAPTERS}, "add or remove rows of dsel_course.core._cost_jobs (nbs/00_core.ipynb)"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_states_the_full_mode_cost(nb):
    cell0 = json.loads(nb.read_text(encoding="utf-8"))["cells"][0]
    assert cell0["cell_type"] == "markdown"
    line = full_cost_line(nb.stem)
    assert line in "".join(cell0["source"]), f"{nb.name}: cell 0 must carry the line\n  {line}\n(from dsel_course.core.full_cost_line)"


def test_chapter_4b_estimate_agrees_with_the_table():
    from dsel_course.labs import full_path as fp
    est = fp.estimate_full_mode(fp.full_mode_sizes(scaled=False), 256, dict(flops_per_s=1e11, torch_threads=1))
    assert abs(est.attrs["total_pflops"] - full_cost("41_full_path")["pflop"]) < 1e-9
    t4 = est.set_index("device").loc["T4"]
    assert abs(t4["hours_low"] * 60 - full_cost("41_full_path")["t4_min"][0]) < 1e-9


def test_the_line_says_estimate_and_gpu_or_cpu():
    for stem in _cost_jobs():
        c, line = full_cost(stem), full_cost_line(stem)
        assert "estimate" in line.lower() or "An estimate" in line
        assert ("T4" in line and "A100" in line) if c["trains"] is True else "CPU only" in line
        assert c["pflop"] == 0 or (c["t4_min"][0] < c["t4_min"][1] and c["a100_min"][1] < c["t4_min"][0])   # an A100 beats a T4
