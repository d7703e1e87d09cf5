"""The course's text against its glossaries and its files (fast: reads the notebooks' JSON, runs nothing).

Rules (implemented in `dsel_course.glossary`, stated in nbs/05_glossary.ipynb):

* Chapter notebooks are every ``nbs/*.ipynb`` except ``index.ipynb`` (the index holds the gathered
  course table instead); new notebooks are picked up without editing this file.
* (c) Every chapter notebook's LAST cell is a markdown cell starting ``## 术语表 (glossary)`` with the
  table ``| 中文 | English | definition | where in this chapter |`` and at least one row.
* (a) Prose = the markdown cells except the glossary cell, after removing fenced code blocks, inline
  code, ``$...$`` formulas, document titles in 《》 and quotations in “”, 「」 or ASCII "..." (up to
  400 characters). What is left is cut into maximal runs of CJK ideographs (any other character,
  Chinese punctuation included, ends a run). Each run must split completely into terms of that
  chapter's glossary (the CJK runs of its 中文 column, each " / " variant counts) and the
  connectives 和 与 及 或 的. Part of a longer glossary term does not count, so a new untranslated
  word fails the test.
* (b) Every markdown cell of every notebook (index included): path-like names with a file extension
  that have a folder part, or are bare ``.md``/``.ipynb``/``.py``/``.toml`` names, must exist
  relative to the repository root or to ``nbs/`` (folders in ``NOT_IN_REPO``, generated outputs and
  package folders, are skipped). Code cells are not checked: they name files inside the data
  packages and scratch files.
"""
from pathlib import Path
import pytest
from dsel_course.glossary import (GLOSSARY_HEADING, chapter_notebooks, glossary_cell, missing_files, missing_terms,
                                  notebook_glossary, read_notebook, course_glossary, index_glossary_markdown,
                                  INDEX_GLOSSARY_HEADING)

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
CHAPTERS = chapter_notebooks(NBS)
ALL = sorted(NBS.glob("*.ipynb"))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 10 and (NBS / "index.ipynb") in ALL


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_glossary(nb):
    assert glossary_cell(read_notebook(nb)) is not None, f"{nb.name}: the last cell must be a markdown cell starting {GLOSSARY_HEADING!r}"
    assert len(notebook_glossary(nb)) >= 1


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_prose_terms_are_in_the_glossary(nb):
    miss = missing_terms(nb)
    assert not miss, f"{nb.name} uses Chinese terms its glossary lacks: {miss}; add rows to its 术语表 (glossary) cell"


@pytest.mark.parametrize("nb", ALL, ids=lambda p: p.stem)
def test_named_files_exist(nb):
    miss = missing_files(nb, ROOT)
    assert not miss, f"{nb.name} names files that are not in the repository: {miss}"


def test_index_shows_the_course_glossary():
    nb = read_notebook(NBS / "index.ipynb")
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown" and "".join(c["source"]).startswith(INDEX_GLOSSARY_HEADING)]
    assert cells == [index_glossary_markdown(NBS)], "the index's course glossary is out of date: run `make readme` and commit nbs/index.ipynb and README.md"
    assert len(course_glossary(NBS)) > 100


def test_the_rule_catches_a_new_term():
    nb = read_notebook(NBS / "20_xent.ipynb")
    nb["cells"].insert(1, {"cell_type": "markdown", "source": "We also use 梯度裁剪 (gradient clipping)."})
    assert "梯度裁剪" in missing_terms(nb)
    nb["cells"].insert(1, {"cell_type": "markdown", "source": "See `data-sources.md` and bench/results/x.json."})
    assert missing_files(nb, ROOT) == ["data-sources.md", "bench/results/x.json"]


# ---- The teaching checks (nbs/05_glossary.ipynb, module dsel_course.coursetext) -------------------------------
# Quotations of the two documents are checked against their text in ../shared/seeds/ (absent in a user's clone:
# those tests skip with a message). The other checks read only the notebooks.
from dsel_course.coursetext import (seeds_dir, citation_problems, prose_problems, shape_problems, is_chapter, exercises,
                                    exercise_table, variant_terms, term_conflicts, index_exercises_markdown,
                                    INDEX_EXERCISES_HEADING, OBJECTIVES_HEADING)

SEEDS = seeds_dir(ROOT)
needs_seeds = pytest.mark.skipif(SEEDS is None, reason="the documents (shared/seeds/ beside the clone, or $DSEL_SEEDS) are not here: quotations cannot be checked")
LESSONS = [p for p in CHAPTERS]            # every notebook but the index is a lesson with the full frame


@needs_seeds
@pytest.mark.parametrize("nb", ALL, ids=lambda p: p.stem)
def test_quotations_are_verbatim_and_sections_are_quoted(nb):
    probs = citation_problems(nb, SEEDS, backed=nb.stem != "index")
    assert not probs, f"{nb.name}:\n  " + "\n  ".join(probs)


@needs_seeds
def test_the_citation_check_catches_a_misquote_and_an_unquoted_section():
    nb = read_notebook(NBS / "05_glossary.ipynb")
    assert citation_problems(nb, SEEDS) == []
    nb["cells"].insert(1, {"cell_type": "markdown", "source": "> 000 §6.2: 「系统便会自动预警所有新闻」 — the course builds the alarm."})
    assert any("is not in 000 §6.2" in p for p in citation_problems(nb, SEEDS))
    nb["cells"][1] = {"cell_type": "markdown", "source": "000 §6.2 warns about popularity bias."}
    assert any("without quoting it" in p for p in citation_problems(nb, SEEDS))
    nb["cells"][1] = {"cell_type": "markdown", "source": "> 000 §6.2: 「一旦发现负面信息激增等异常情况，系统便会自动预警」"}
    assert citation_problems(nb, SEEDS) == []


@pytest.mark.parametrize("nb", ALL, ids=lambda p: p.stem)
def test_prose_is_teaching_text(nb):
    probs = prose_problems(nb)
    assert not probs, f"{nb.name}:\n  " + "\n  ".join(probs)


def test_the_prose_check_catches_a_log_phrase():
    nb = read_notebook(NBS / "05_glossary.ipynb")
    assert prose_problems(nb) == []
    nb["cells"].insert(1, {"cell_type": "markdown", "source": "When this was written, `dsel_course.select` took 3 s (2026-12-01)."})
    probs = prose_problems(nb)
    assert len(probs) == 3 and "dsel_course.select does not import" in probs[-1], probs


@pytest.mark.parametrize("nb", LESSONS, ids=lambda p: p.stem)
def test_every_notebook_is_a_lesson(nb):
    probs = shape_problems(nb)
    assert not probs, f"{nb.name}:\n  " + "\n  ".join(probs)


def test_the_course_has_enough_exercises_with_solutions():
    df = exercise_table(NBS)
    per = df.groupby("notebook").size()
    assert len(df) >= 80, f"the course has {len(df)} exercises; it needs at least 80 (per notebook: {per.to_dict()})"
    assert df["solution"].sum() * 2 >= len(df), f"{int(df['solution'].sum())} of {len(df)} exercises have a solution cell; at least half need one"
    chapters = [p.stem for p in LESSONS if is_chapter(p)]
    assert len(chapters) >= 15 and set(chapters) <= set(per.index), sorted(set(chapters) - set(per.index))


@pytest.mark.parametrize("nb", ALL, ids=lambda p: p.stem)
def test_one_spelling_per_term(nb):
    assert not variant_terms(nb), f"{nb.name} uses a second spelling: {variant_terms(nb)}"


def test_one_term_per_idea_across_the_glossaries():
    probs = term_conflicts(course_glossary(NBS))
    assert not probs, "\n  ".join(["two terms for one idea across the chapters' glossaries:", *probs])


def test_index_lists_the_exercises():
    nb = read_notebook(NBS / "index.ipynb")
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown" and "".join(c["source"]).startswith(INDEX_EXERCISES_HEADING)]
    assert cells == [index_exercises_markdown(NBS)], "the index's exercise list is out of date: run `make readme` and commit nbs/index.ipynb and README.md"
