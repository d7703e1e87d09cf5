"""Chapter 8's Ray path (dsel_course.scale). The batch plumbing is tested without Ray; parity with the
single-process `select` is tested on ONE local Ray instance shared by the module (`ray.init(num_cpus=2,
include_dashboard=False)`; `local_mode` was removed from Ray). Parity here is on 5,000 documents; the
100,000-document parity check runs in nbs/80_scale.ipynb in quick mode."""
import numpy as np
import pytest
from datasets import Dataset
from dsel_course.scale import on_rows, select_ray, OnRay, short_doc_pool, ensure_ray
from dsel_course.selection import select, ExactDedup, NearDedup, QualityRules, ImportanceResample, make_strategy
from dsel_course.selection.dedup import exact_hash_batch, minhash_batch

N_PARITY = 5_000


def test_on_rows_carries_row_ids_and_matches_the_batch_function():
    texts = ["a b c", "A  b c!", "完全 不同 的 文本", ""]
    b = {"text": np.array(texts, dtype=object), "_row": np.array([10, 11, 12, 13])}
    r = on_rows(exact_hash_batch)(b)
    assert r["_row"].tolist() == [10, 11, 12, 13]
    assert np.array_equal(r["y"], exact_hash_batch({"text": texts})) and r["y"][0] == r["y"][1]
    s = on_rows(minhash_batch, out="sig")(b)["sig"]
    assert s.shape == (4, 128) and np.array_equal(s, minhash_batch({"text": texts}))


def test_strategies_without_a_ray_version_are_refused():
    with pytest.raises(ValueError, match="use --engine local"):
        OnRay(make_strategy("ngram_perplexity", target=["a b c d"]))


@pytest.fixture(scope="module")
def ray_pool():
    ensure_ray(num_cpus=2)
    pool = short_doc_pool(N_PARITY, seed=3)
    yield pool
    import ray
    ray.shutdown()


@pytest.mark.parametrize("name", ["exact_dedup", "near_dedup", "quality_rules", "dsir", "pipeline"])
def test_ray_keeps_exactly_the_same_rows(ray_pool, name):
    target = [t for t in ray_pool["text"] if len(t.split()) > 12][:500]
    strat, budget = {"exact_dedup": (ExactDedup(), 1.0), "near_dedup": (NearDedup(0.7), 1.0),
                     "quality_rules": (QualityRules(terminal_punct=False), 1.0), "dsir": (ImportanceResample(target), 0.2),
                     "pipeline": (None, 0.3)}[name]
    if strat is None:
        from dsel_course.selection import Pipeline
        strat = Pipeline([ExactDedup(), NearDedup(0.7), QualityRules(terminal_punct=False), ImportanceResample(target)])
    a = select(ray_pool, strat, budget, seed=11, diversity=False)
    b = select_ray(ray_pool, strat, budget, seed=11, n_blocks=4)
    assert np.array_equal(a.indices, b.indices)
    assert {k: v.tolist() for k, v in a.dropped.items()} == {k: v.tolist() for k, v in b.dropped.items()}
    if name in ("exact_dedup", "near_dedup"):
        assert sum(len(v) for v in a.dropped.values()) > 0.02 * N_PARITY   # the planted copies are found


def test_dsel_select_engine_ray_matches_local(ray_pool, tmp_path):
    "`dsel select --engine ray` (select_file) keeps the same rows as the local engine and records the engine."
    import json
    from dsel_course.cli import select_file
    p = tmp_path / "pool.jsonl"
    p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in ray_pool["text"][:1_000]), encoding="utf-8")
    a = select_file(p, tmp_path / "local.jsonl", "near_dedup", 1.0, params={"threshold": 0.7}, progress=False)
    b = select_file(p, tmp_path / "ray.jsonl", "near_dedup", 1.0, params={"threshold": 0.7}, engine="ray", progress=False)
    assert a["kept"] == b["kept"] and a["dropped"] == b["dropped"] and b["engine"] == "ray"
    assert (tmp_path / "local.jsonl").read_bytes() == (tmp_path / "ray.jsonl").read_bytes()


@pytest.mark.slow
def test_recipe_streamed_equals_ray(ray_pool, tmp_path):
    "The shipped English recipe keeps the same rows streamed (select_stream) and on Ray (`dsel select --engine ray`, select_recipe_ray)."
    import json
    from pathlib import Path
    from dsel_course.stream import load_recipe, select_stream
    from dsel_course.cli import select_recipe_ray
    p = tmp_path / "pool.jsonl"
    p.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in ray_pool["text"][:2_000]), encoding="utf-8")
    rec = load_recipe(Path(__file__).resolve().parents[1] / "dsel_course" / "assets" / "recipes" / "english_web.yaml")
    a = select_stream(p, tmp_path / "stream.jsonl", rec)
    b = select_recipe_ray(p, tmp_path / "ray.jsonl", rec)
    assert a["kept"] == b["kept"] and a["dropped_rows"] == b["dropped_rows"] and b["engine"] == "ray"
    assert (tmp_path / "stream.jsonl").read_bytes() == (tmp_path / "ray.jsonl").read_bytes()
