"""The tour report (`dsel tour`) in ci mode shows results, not artefacts: every training pool and test slice holds
both classes, the budget curve is not flat and beats the majority share, no caption holds an unformatted `{...}`,
and Chinese corpora are measured in characters. A step made single-class again is refused with a one-line error
instead of being reported."""
import re
import pytest
from bs4 import BeautifulSoup

from dsel_course import core, data, tour
from dsel_course.report import unformatted_placeholders

STEPS = ["Data cards", "Chapter 1", "Chapter 4"]   # the steps whose numbers this file reads (the others test theirs in their notebooks)


def _tables(soup) -> dict:
    "{caption: list of row dicts} for every table of the report."
    out = {}
    for fig in soup.find_all("figure"):
        t = fig.find("table")
        if t is None: continue
        head = [th.get_text(strip=True) for th in t.find("thead").find_all("th")]
        rows = [dict(zip(head, [td.get_text(strip=True) for td in tr.find_all("td")])) for tr in t.find("tbody").find_all("tr")]
        out[fig.find("figcaption").get_text(strip=True)] = rows
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour") / "tour.html"
    tour.run_tour("ci", out, only=STEPS, jobs=1, verbose=False)   # one process: the steps run here, under the same checks
    return BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")


def test_no_unformatted_placeholder(report):
    captions = [c.get_text() for c in report.find_all("figcaption")]
    assert len(captions) >= 5
    bad = [(c, unformatted_placeholders(c)) for c in captions + [report.body.get_text()] if unformatted_placeholders(c)]
    assert not bad, f"unformatted f-string placeholders in the report: {bad}"
    assert any(re.search(r"over 1 seed\(s\)", c) for c in captions)   # chapter 1's caption, formatted


def test_chinese_cards_count_characters(report):
    rows = {r["name"]: r for r in next(v for k, v in _tables(report).items() if k.startswith("every offline corpus"))}
    for name in ("zh_reviews", "zh_peoples_daily"):
        n, unit = rows[name]["median_length"].split()
        assert unit == "characters" and float(n) > 5, rows[name]
    assert rows["pang_lee"]["median_length"].endswith("words")


def test_budget_step_is_a_result(report):
    verdicts = next(v for k, v in _tables(report).items() if k.startswith("full: accuracy with the whole pool"))
    clean = next(r for r in verdicts if r["scenario"] == "clean")
    full = float(clean["full"])
    # a one-class pool predicts one class: its "accuracy" is that class's share of the test slice (about 0.5 here)
    assert 0.6 <= full <= 0.95, f"chapter 4's full-data accuracy {full} in ci mode: a one-class pool or a broken trainer?"
    cap = next(c.get_text() for c in report.find_all("figcaption") if c.get_text().startswith("accuracy on a fixed, clean test split"))
    n_test, n_pool = map(int, re.findall(r"\((\d+) sentences\).*pool of (\d+)", cap)[0])
    assert n_test >= 64 and n_pool >= 128


def test_single_class_step_is_refused(monkeypatch, tmp_path):
    # The old failure: the step's training data all of one class (a prefix of Pang & Lee's split, stored positives first).
    # Rebuilt here by handing the step a training split of positive sentences only.
    from dsel_course.labs import budget
    orig = budget.task_splits
    def one_class(*a, **k):
        dd = orig(*a, **k)
        return dd.__class__({s: v.filter(lambda r: r["label"] == 1) if s == "train" else v for s, v in dd.items()})
    monkeypatch.setattr(budget, "task_splits", one_class)
    with pytest.raises(ValueError, match=r"the tour's training pool holds 1 class\(es\).*never a prefix"):
        tour.run_tour("ci", tmp_path / "t.html", only=["Chapter 4"], jobs=1, verbose=False)
    assert not (tmp_path / "t.html").exists()   # nothing is reported


def test_a_prefix_of_a_split_is_the_trap():
    # why the step samples: a split keeps the corpus' order, so its first rows are one class; a seeded sample holds both
    from dsel_course.labs.finetune import task_splits
    dd = task_splits("pang_lee", mode="ci")
    with pytest.raises(ValueError, match=r"1 class\(es\)"):
        data.check_classes(dd["train"].select(range(96)), "a 96-row prefix")
    counts = data.check_classes(dd["train"].shuffle(seed=core.DEFAULT_SEED).select(range(96)), "a 96-row sample")
    assert min(counts.values()) >= 30, counts
