"""Property tests of the Chinese track's strategies (dsel_course.selection.chinese) on generated
*Chinese* pools with full-width forms, punctuation and junk (tests/test_registry.py checks every
registered strategy on mixed English/Chinese pools): `select` respects the budget, returns unique,
in-range, sorted indices, repeats its pick for a seed and leaves the input unchanged; NFKC near dedup
treats full-width and half-width forms alike; the rule statistics stay in range."""
import os
os.environ.setdefault("DSEL_MODE", "ci")
import pytest
import datasets
from datasets import Dataset
from hypothesis import given, settings, HealthCheck, strategies as st
from dsel_course.selection import check_selection_properties, Pipeline, ExactDedup
from dsel_course.selection.chinese import NFKCNearDedup, WordNearDedup, ZhQualityRules, zh_quality_stats
from dsel_course.labs.chinese import to_fullwidth

datasets.disable_progress_bars()
N_CASES = max(50, int(os.environ.get("DSEL_PROPERTY_CASES", "1000")) // 10)
PIECES = ["数据", "模型", "选择", "质量", "的", "了", "我们", "今天", "很好", "哈哈哈哈哈哈哈哈", "。", "，", "！", "ABC", "１２３",
          "版权所有", "联系我们", "★★", "мир", "æˆ‘", "\u3000", " "]
COMMON = "数据模型选择质量的了我们今天很好"
STRATEGIES = {
    "zh_rules": lambda: ZhQualityRules(COMMON),
    "nfkc_near": lambda: NFKCNearDedup(n=3, num_perm=64, bands=16, rows=4),
    "word_near": lambda: WordNearDedup(n=2, num_perm=64, bands=16, rows=4),
    "pipeline": lambda: Pipeline([ExactDedup(), NFKCNearDedup(n=3), ZhQualityRules(COMMON, min_chars=2)]),
}
_BUILT = {k: f() for k, f in STRATEGIES.items()}
zh_doc = st.lists(st.sampled_from(PIECES), min_size=0, max_size=12).map("".join)
SETTINGS = dict(max_examples=N_CASES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

@pytest.mark.parametrize("name", list(STRATEGIES))
@settings(**SETTINGS)
@given(docs=st.lists(zh_doc, min_size=1, max_size=25), frac=st.floats(0.01, 1.0), seed=st.integers(0, 1000))
def test_zh_select_invariants(name, docs, frac, seed):
    check_selection_properties(Dataset.from_dict({"text": docs}), _BUILT[name], frac, seed)

@settings(**SETTINGS)
@given(doc=zh_doc)
def test_nfkc_near_dedup_folds_full_width(doc):
    ds = Dataset.from_dict({"text": [doc, to_fullwidth(doc)]})
    assert _BUILT["nfkc_near"].drop_reasons(ds).tolist() == ["", "near_duplicate"]

@settings(**SETTINGS)
@given(docs=st.lists(zh_doc, min_size=1, max_size=10))
def test_quality_stats_shapes_and_ranges(docs):
    s = zh_quality_stats(docs, COMMON)
    for k, v in s.items(): assert len(v) == len(docs), k
    for k in ("cjk_share", "symbol_ratio", "dup_3gram", "rare_share"):
        assert ((s[k] >= 0) & (s[k] <= 1)).all(), k
    assert (s["n_content"] <= s["n_chars"]).all()
