"""Property tests of the selection protocol (dsel_course.selection): for >= 1,000 generated (pool, budget,
seed) cases per strategy, `select` respects the budget, returns unique, in-range, sorted indices, gives
the same pick for the same seed, and leaves the input dataset unchanged."""
import os
os.environ.setdefault("DSEL_MODE", "ci")
import numpy as np
import pytest
import datasets
from datasets import Dataset
from hypothesis import given, settings, HealthCheck, strategies as st
from dsel_course.selection.protocol import select, resolve_budget, check_selection_properties, RandomSample, Stratified, Pipeline, Strategy
from dsel_course.selection.dedup import ExactDedup, NearDedup
from dsel_course.selection.quality import QualityRules
from dsel_course.selection.lm_filter import NGramPerplexity
from dsel_course.selection.importance import ImportanceResample

datasets.disable_progress_bars()
N_CASES = int(os.environ.get("DSEL_PROPERTY_CASES", "1000"))
WORDS = ["the", "of", "and", "to", "data", "model", "text", "数据", "模型", "cat", "dog", "selection", "quality",
         "###", "!!!", "...", "Ã©", "\ufffd", "LOUD", "http://t.co/x", ".", "。"]
TARGET = ["the data and the model of the text.", "selection of quality data for the model.", "数据 模型 的 选择"]

# Each registered strategy alone is covered by tests/test_registry.py (>= 1,000 cases each); here: a whole
# pre-training pipeline, a thresholded n-gram filter, and a fitted-target DSIR on pools of English/Chinese/junk words.
STRATEGIES = {
    "ngram_ppl_threshold": lambda: NGramPerplexity(TARGET, max_perplexity=200.0),
    "dsir": lambda: ImportanceResample(TARGET, n_buckets=128),
    "random": lambda: RandomSample(),
    "stratified": lambda: Stratified(),
    "pipeline": lambda: Pipeline([ExactDedup(), NearDedup(), QualityRules(min_words=2, terminal_punct=False),
                                  ImportanceResample(TARGET, n_buckets=128), Stratified()]),
}
_BUILT = {k: f() for k, f in STRATEGIES.items()}  # targets are fitted once

doc = st.lists(st.sampled_from(WORDS), min_size=0, max_size=14).map(" ".join)
pools = st.lists(st.tuples(doc, st.integers(0, 2)), min_size=1, max_size=30)

@st.composite
def cases(draw):
    rows = draw(pools)
    if draw(st.booleans()):  # plant exact copies
        rows = rows + [rows[draw(st.integers(0, len(rows) - 1))] for _ in range(draw(st.integers(0, 5)))]
    n = len(rows)
    budget = draw(st.one_of(st.integers(1, n), st.floats(0.001, 1.0, allow_nan=False)))
    return rows, budget, draw(st.integers(0, 2**31 - 1))

@pytest.mark.parametrize("name", ["pipeline", "ngram_ppl_threshold"])
@settings(max_examples=N_CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(case=cases())
def test_select_invariants(name, case):
    rows, budget, seed = case
    ds = Dataset.from_dict({"text": [r[0] for r in rows], "label": [r[1] for r in rows]})
    sel = check_selection_properties(ds, _BUILT[name], budget, seed=seed)
    assert len(sel) <= resolve_budget(budget, len(ds))

ZH = ["数据", "模型", "选择", "质量", "的", "是", "我们", "今天", "。", "，"]
zh_doc = st.lists(st.sampled_from(ZH), min_size=0, max_size=20).map("".join)

@settings(max_examples=max(100, N_CASES // 4), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=st.lists(zh_doc, min_size=1, max_size=25), frac=st.floats(0.01, 1.0), seed=st.integers(0, 1000))
def test_near_dedup_chinese_character_shingles(docs, frac, seed):
    ds = Dataset.from_dict({"text": docs})
    check_selection_properties(ds, NearDedup(n=3, num_perm=64, bands=16, rows=4), frac, seed=seed)

@pytest.mark.parametrize("name", ["random", "dsir", "stratified"])
def test_non_filtering_strategies_fill_the_budget(name):
    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 50)); k = int(rng.integers(1, n + 1))
        ds = Dataset.from_dict({"text": [f"doc {i} of the data" for i in range(n)], "label": rng.integers(0, 3, n).tolist()})
        assert len(select(ds, _BUILT[name], k, seed=int(rng.integers(100)), diversity=False)) == k

def test_different_seeds_differ():
    ds = Dataset.from_dict({"text": [f"doc {i}" for i in range(200)]})
    picks = {tuple(select(ds, RandomSample(), 20, seed=s, diversity=False).indices) for s in range(5)}
    assert len(picks) == 5
