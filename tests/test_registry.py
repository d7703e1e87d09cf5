"""Every registered strategy is tested by being registered.

The registry (`dsel_course.selection.STRATEGIES`, filled by importing the package) is the one list of
ways to choose data. For each entry that needs no model, >= 1,000 generated pools (English, Chinese and
junk text, 1-4 classes, duplicates, random embeddings/probabilities/scores in the columns strategies
read) go through `select` with the strategy's own random settings (`cls.example(pool, rng)`); on every
case the protocol's invariants hold (`check_selection_properties`: budget respected, indices unique,
sorted and in range, dropped rows never selected, same seed same pick, input unchanged). A strategy
whose needed column is missing fails with a one-line error that names the column."""
import os, zlib, inspect
os.environ.setdefault("DSEL_MODE", "ci")
import numpy as np
import pytest
import datasets
from datasets import Dataset
from datasets.table import InMemoryTable
from dsel_course.selection import all_strategies, select, check_selection_properties, resolve_budget, make_strategy, Strategy

datasets.disable_progress_bars()
N_CASES = int(os.environ.get("DSEL_PROPERTY_CASES", "1000"))
REG = all_strategies()
NO_MODEL = sorted(n for n, i in REG.items() if not any(x.startswith("model:") for x in i.needs))
WORDS = ["the", "of", "and", "to", "data", "model", "text", "数据", "模型", "选择", "cat", "dog", "selection", "quality",
         "###", "!!!", "...", "Ã©", "\ufffd", "LOUD", "http://t.co/x", ".", "。", "good", "bad", "film"]
_F, _S = datasets.Value("float64"), datasets.Value("string")
FEATS = {"text": _S, "embedding": datasets.List(datasets.Value("float32")), "probs": datasets.List(_F), "oof_probs": datasets.List(_F),
         "el2n": _F, "confidence": _F, "variability": _F, "ifd": _F, "prompt": _S, "response": _S}
_ids = iter(range(10**9))


def make_pool(rng):
    "A random pool with every column a registered strategy may read."
    n, K = int(rng.integers(1, 40)), int(rng.integers(1, 5))
    texts = [" ".join(rng.choice(WORDS, int(rng.integers(0, 14)))) for _ in range(n)]
    dup = rng.random(n) < 0.2
    for i in np.flatnonzero(dup): texts[i] = texts[int(rng.integers(0, n))]          # exact copies
    E = rng.normal(size=(n, 8)).astype(np.float32)
    if n > 1: E[dup] = E[rng.integers(0, n, int(dup.sum()))]
    Kp = max(K, 2); P = rng.dirichlet(np.ones(Kp), n)
    d = {"text": texts, "embedding": E.tolist(), "probs": P.tolist(), "oof_probs": P.tolist(), "el2n": rng.random(n).tolist(),
         "confidence": rng.random(n).tolist(), "variability": rng.random(n).tolist(), "ifd": rng.uniform(0.2, 1.3, n).tolist(),
         "prompt": [f"q{i}" for i in range(n)], "response": [f"a{i}" for i in range(n)], "label": rng.integers(0, K, n).tolist()}
    feats = datasets.Features({**{k: FEATS[k] for k in FEATS}, "label": datasets.ClassLabel(names=[f"c{j}" for j in range(Kp)])})
    # a fixed fingerprint per case: Dataset.from_dict would hash all the data, the slowest step of these tests
    return Dataset(InMemoryTable.from_pydict(d, schema=feats.arrow_schema), info=datasets.DatasetInfo(features=feats), fingerprint=f"reg-{next(_ids)}")


def test_registry_covers_the_chapters():
    assert len(REG) >= 20, sorted(REG)
    assert {"30_select", "31_select_sft", "44_budget_curves"} <= {i.chapter for i in REG.values()}
    for name, info in REG.items():
        assert issubclass(info.cls, Strategy) and info.cls.key == name and info.about, name
        assert info.kind and set(info.kind.split("+")) <= {"filter", "ranker", "picker"}, name
        required = [p for p in inspect.signature(info.cls).parameters.values() if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if not required: assert isinstance(make_strategy(name), info.cls), name     # builds by name with its defaults


_POOLS: list = []

def pools():
    "The same N_CASES generated pools for every strategy (built once: building them is a large part of the cost)."
    if not _POOLS:
        rng = np.random.default_rng(20261201)
        _POOLS.extend(make_pool(rng) for _ in range(N_CASES))
    return _POOLS


def check_case(ds, sel, budget):
    "The protocol's invariants for one selection."
    idx, n, k = sel.indices, len(ds), resolve_budget(budget, len(ds))
    assert idx.dtype.kind == "i" and (np.diff(idx) > 0).all() and (len(idx) == 0 or (idx[0] >= 0 and idx[-1] < n))
    dropped = np.concatenate(list(sel.dropped.values())) if sel.dropped else np.zeros(0, int)
    assert len(np.intersect1d(dropped, idx)) == 0, "a dropped row was selected"
    assert len(idx) == min(k, n - len(dropped)), (len(idx), k, n, len(dropped))


@pytest.mark.parametrize("name", NO_MODEL)
def test_registered_strategy_properties(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for case, ds in enumerate(pools()):
        st = REG[name].cls.example(ds, rng)
        n, fp = len(ds), ds._fingerprint
        budget = int(rng.integers(1, n + 1)) if rng.random() < 0.7 else float(rng.uniform(0.01, 1.0))
        seed = int(rng.integers(0, 2**31 - 1))
        snapshot = ds.to_dict() if case % 100 == 0 else None
        sel = select(ds, st, budget, seed=seed, diversity=False)
        check_case(ds, sel, budget)
        if case % 10 == 0:                                   # same seed, same pick (and the full check, twice)
            np.testing.assert_array_equal(check_selection_properties(ds, st, budget, seed=seed).indices, sel.indices)
        assert ds._fingerprint == fp, "the input dataset changed"
        if snapshot is not None: assert ds.to_dict() == snapshot, "the input dataset changed"
    assert case + 1 >= N_CASES


@pytest.mark.parametrize("name", [n for n in NO_MODEL if any(c != "embedding" for c in REG[n].needs)])
def test_missing_column_is_a_one_line_error(name):
    "Without a column it needs, a strategy fails with one line naming the column (some settings need only some columns)."
    rng = np.random.default_rng(0)
    ds = make_pool(rng)
    while len(ds) < 5: ds = make_pool(rng)
    for col in (c for c in REG[name].needs if c != "embedding"):
        raised = 0
        for _ in range(10):
            st = REG[name].cls.example(ds, rng)
            try: select(ds.remove_columns(col), st, 2, seed=0, diversity=False)
            except (ValueError, TypeError, KeyError) as e:
                raised += 1; msg = str(e)
                assert "\n" not in msg and col in msg, (name, col, msg)
        assert raised, f"{name} never needed {col!r}"


def test_select_takes_registry_names():
    ds = make_pool(np.random.default_rng(1))
    assert len(select(ds, "random", 1, seed=0)) == 1
    with pytest.raises(ValueError, match="did you mean random"): select(ds, "randon", 1)
