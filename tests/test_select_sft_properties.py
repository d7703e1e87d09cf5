"""Property tests for chapter 3b's selection strategies (dsel_course.selection): over 1,000 generated pools each,
cheap synthetic embeddings / probabilities / scores in columns, every strategy run through chapter 3a's `select`.

Checked per case: the budget is respected (exactly min(k, rows left after filters)), indices are unique, in range and
sorted, the same seed gives the same pick, the input dataset is unchanged, and class-balanced picks are within ±1
of their per-class targets. Bad labels give one-line errors that name the fix."""
import numpy as np
import pytest
import datasets
from datasets import Dataset

from dsel_course.selection.protocol import select, Pipeline, RandomSample
from dsel_course.selection.balance import ClassBalanced, class_quotas, labels_of, label_codes, resample, resample_indices
from dsel_course.selection.embedding import TaskRelevance, KCenterGreedy, ClusterBalanced, SemanticDedup
from dsel_course.selection.model_based import Uncertainty, Difficulty, DataMapRegion
from dsel_course.selection.noise import LabelNoiseFilter, find_label_issues
from dsel_course.selection.ifd import IFD

import os
import itertools
from datasets.table import InMemoryTable
_CASE_IDS = itertools.count()
_F, _S = datasets.Value("float64"), datasets.Value("string")
FEATS = {"text": _S, "embedding": datasets.List(datasets.Value("float32")), "probs": datasets.List(_F), "oof_probs": datasets.List(_F),
         "el2n": _F, "confidence": _F, "variability": _F, "ifd": _F, "prompt": _S, "response": _S}
N_CASES = int(os.environ.get("N_CASES", 1_000))
datasets.disable_progress_bars()


def make_pool(rng, n=None, K=None, str_labels=False):
    "A random pool: text, label (int ClassLabel or str), 8-d embeddings (some duplicated), probabilities and scores."
    n = n or int(rng.integers(1, 40)); K = K or int(rng.integers(1, 5))
    y = rng.integers(0, K, n)
    E = rng.normal(size=(n, 8)).astype(np.float32)
    dup = rng.random(n) < 0.2
    if n > 1: E[dup] = E[rng.integers(0, n, int(dup.sum()))]          # exact duplicates for SemanticDedup
    Kp = max(K, 2)
    P = rng.dirichlet(np.ones(Kp), n)
    d = {"text": [f"row {i}" for i in range(n)], "embedding": E.tolist(), "probs": P.tolist(), "oof_probs": P.tolist(),
         "el2n": rng.random(n).tolist(), "confidence": rng.random(n).tolist(), "variability": rng.random(n).tolist(),
         "ifd": rng.uniform(0.2, 1.3, n).tolist(), "prompt": [f"q{i}" for i in range(n)], "response": [f"a{i}" for i in range(n)]}
    d["label"] = [f"c{v}" for v in y] if str_labels else y.tolist()
    feats = datasets.Features({k: FEATS[k] for k in d if k != "label"})
    if str_labels: feats["label"] = datasets.Value("string")
    else: feats["label"] = datasets.ClassLabel(names=[f"c{j}" for j in range(Kp)])
    table = InMemoryTable.from_pydict(d, schema=feats.arrow_schema)
    # a fixed fingerprint per case: Dataset.from_dict would hash all the data, the slowest step of these tests
    return Dataset(table, info=datasets.DatasetInfo(features=feats), fingerprint=f"prop-{next(_CASE_IDS)}")


def strategies(rng, n):
    "Class-balanced picks (alone, and after a relevance ranking): each registered strategy alone is in tests/test_registry.py."
    T = rng.normal(size=(int(rng.integers(1, 4)), 8))
    return {"ClassBalanced": ClassBalanced(), "ClassBalanced(pool)": ClassBalanced(target="pool"),
            "Relevance->ClassBalanced": Pipeline([TaskRelevance(T), ClassBalanced()])}


def check_selection(ds, sel, k):
    idx = sel.indices
    assert idx.dtype.kind == "i"
    assert len(idx) == min(k, sel.report["n_after_filters"]) and len(idx) <= k
    assert np.all(np.diff(idx) > 0), "indices must be sorted and unique"
    assert len(idx) == 0 or (idx.min() >= 0 and idx.max() < len(ds))
    kept_after = sel.report["n_after_filters"] + sum(sel.report["dropped"].values())
    assert kept_after == len(ds)
    for rows in sel.dropped.values(): assert not np.isin(rows, idx).any()   # dropped rows are never selected


def test_properties_all_new_strategies():
    rng = np.random.default_rng(20261124)
    counts = {}
    for case in range(N_CASES):
        ds = make_pool(rng, str_labels=bool(case % 7 == 3))
        before = (ds._fingerprint, ds.to_dict() if case % 10 == 0 else None)
        n = len(ds)
        budget = int(rng.integers(1, n + 1)) if rng.random() < 0.7 else float(rng.uniform(0.01, 1.0))
        k = budget if isinstance(budget, int) else max(1, int(budget * n))
        seed = int(rng.integers(0, 1000))
        for name, st in strategies(rng, n).items():
            sel = select(ds, st, budget, seed=seed, diversity=False)
            check_selection(ds, sel, k)
            if case % 10 == 0:   # determinism: same seed, same pick (a fresh strategy object too)
                again = select(ds, st, budget, seed=seed, diversity=False)
                np.testing.assert_array_equal(sel.indices, again.indices)
            if name.startswith("ClassBalanced") or name == "Relevance->ClassBalanced":
                y, names = labels_of(ds)
                cnt = np.bincount(y, minlength=len(names))
                props = cnt if name == "ClassBalanced(pool)" else None
                _, target = class_quotas(cnt, k, props)
                got = np.bincount(y[sel.indices], minlength=len(names))
                assert np.all(np.abs(got - target) < 1 + 1e-9), (got, target)
                assert np.all(got <= cnt)
            counts[name] = counts.get(name, 0) + 1
        assert ds._fingerprint == before[0], "the input dataset changed"
        if before[1] is not None: assert ds.to_dict() == before[1], "the input dataset changed"
    assert min(counts.values()) >= N_CASES


def test_class_quotas_properties():
    rng = np.random.default_rng(1)
    for _ in range(N_CASES):
        K = int(rng.integers(1, 8)); cnt = rng.integers(0, 30, K)
        if cnt.sum() == 0: cnt[0] = 1
        props = None if rng.random() < 0.5 else rng.random(K) + 0.01
        k = int(rng.integers(1, cnt.sum() + 1))
        q, t = class_quotas(cnt, k, props)
        assert q.sum() == k and np.all(q <= cnt) and np.all(q >= 0)
        assert np.all(np.abs(q - t) < 1 + 1e-9)
        np.testing.assert_allclose(t.sum(), k)


def test_resample_properties():
    rng = np.random.default_rng(2)
    for _ in range(N_CASES):
        n = int(rng.integers(1, 50)); y = rng.integers(0, int(rng.integers(1, 5)), n)
        y0 = y.copy()
        for how in ("over", "under"):
            idx = resample_indices(y, how, seed=int(rng.integers(100)))
            c = np.bincount(y[idx])
            c = c[c > 0]
            assert len(set(c.tolist())) == 1                                  # balanced
            assert idx.min() >= 0 and idx.max() < n
            if how == "under": assert len(np.unique(idx)) == len(idx)
            else: np.testing.assert_array_equal(idx[:n], np.arange(n))      # every original row kept once, copies after
        np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("labels, msg", [
    ([0, None, 1], "row 1 is missing"),
    ([0, 1], "one label per row"),
    ([0, 1, 9], "map it to a known class"),
])
def test_bad_labels_one_line_error(labels, msg):
    with pytest.raises((ValueError, TypeError), match=msg) as e:
        find_label_issues(labels, np.full((3, 2), 0.5))
    assert "\n" not in str(e.value)


def test_bad_label_columns_in_strategies():
    ds = Dataset.from_dict({"text": ["a", "b", "c"], "label": ["x", None, "y"], "oof_probs": [[0.5, 0.5]] * 3})
    for st in (ClassBalanced(), Pipeline([LabelNoiseFilter(), RandomSample()])):
        with pytest.raises(ValueError, match="row 1 is missing") as e: select(ds, st, 2, diversity=False)
        assert "\n" not in str(e.value)
    nolab = Dataset.from_dict({"text": ["a", "b"]})
    with pytest.raises(ValueError, match="pass col="): select(nolab, ClassBalanced(), 1, diversity=False)
    cl = Dataset.from_dict({"text": ["a", "b"], "label": [0, -1]}).cast_column("label", datasets.ClassLabel(names=["n", "p"]))
    with pytest.raises(ValueError, match="drop unlabelled rows"): select(cl, ClassBalanced(), 1, diversity=False)
    with pytest.raises(ValueError, match="unknown classes"): select(make_pool(np.random.default_rng(0), 10, 2), ClassBalanced(target={"zz": 1}), 2)
    with pytest.raises(ValueError, match="one label per row"): label_codes([1, 2], n=3)
    with pytest.raises(ValueError, match="needs a 'probs' column"): select(nolab, Uncertainty(), 1, diversity=False)
