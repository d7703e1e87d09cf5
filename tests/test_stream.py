"""Streamed `dsel select` (dsel_course.stream): the same rows as `select` in memory for every strategy that streams and
the example recipes, across formats and shards; resumption after a real kill; bad input is one line, exit 2, no output."""
import gzip, json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from dsel_course.stream import STREAMING, load_recipe, select_in_memory, select_stream

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "dsel_course" / "assets" / "recipes"
DSEL = [sys.executable, "-c", "import sys; from dsel_course.cli import main; sys.exit(main())"]
N = 1_500

CASES = {"exact_dedup": dict(steps=["exact_dedup"], budget=1.0),
         "quality_rules": dict(steps=[{"quality_rules": {"terminal_punct": False}}], budget=1.0),
         "zh_quality_rules": dict(steps=[{"zh_quality_rules": {"min_cjk_share": None, "min_chars": 20}}], budget=1.0),
         "near_dedup": dict(steps=[{"near_dedup": {"threshold": 0.5}}], budget=1.0),
         "nfkc_near_dedup": dict(steps=[{"nfkc_near_dedup": {"threshold": 0.5, "exact_margin": 0.3}}], budget=1.0),
         "dsir": dict(steps=[{"dsir": {"target": "corpus:wikipedia", "n_buckets": 2048}}], budget=0.2),
         "ngram_perplexity": dict(steps=[{"ngram_perplexity": {"target": "corpus:wikipedia", "max_perplexity": 5000}}], budget=0.05),
         "random": dict(steps=["random"], budget=100),
         "english_web": RECIPES / "english_web.yaml", "chinese_web": RECIPES / "chinese_web.yaml",
         "chain": dict(steps=[{"quality_rules": {"terminal_punct": False}}, "exact_dedup", {"near_dedup": {"threshold": 0.6}},
                              {"zh_quality_rules": {"min_cjk_share": None}}, {"dsir": {"target": "corpus:wikipedia"}}], budget=0.1, seed=5)}


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    "Short documents with planted copies, some Chinese with full-width forms, as jsonl, jsonl.gz, csv, parquet and 3 shards."
    from dsel_course.scale import short_doc_pool
    texts = list(short_doc_pool(N, seed=5)["text"])
    zh = ["今天的天气很好，我们去公园散步。", "今天的天气很好，我们去公园散步！", "ＡＢＣ数据选择的课程第一章。", "ABC数据选择的课程第一章。"]
    texts = texts[:N - 40] + zh * 10
    d = tmp_path_factory.mktemp("stream")
    rows = [{"text": t, "id": i} for i, t in enumerate(texts)]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (d / "pool.jsonl").write_text(body, encoding="utf-8")
    (d / "pool.jsonl.gz").write_bytes(gzip.compress(body.encode("utf-8")))
    pd.DataFrame(rows).to_csv(d / "pool.csv", index=False); pd.DataFrame(rows).to_parquet(d / "pool.parquet")
    for k, s in enumerate(np.array_split(np.arange(N), 3)):
        (d / f"shard-{k}.jsonl").write_text("".join(json.dumps(rows[i], ensure_ascii=False) + "\n" for i in s), encoding="utf-8")
    return d, texts


def same(a, side):
    return a.indices.tolist() == side["kept"] and {k: v.tolist() for k, v in a.dropped.items()} == side["dropped_rows"]


def test_every_streamed_strategy_is_covered():
    assert set(STREAMING) <= set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_streamed_equals_in_memory(pool, tmp_path, name):
    d, texts = pool
    rec = load_recipe(CASES[name])
    a = select_in_memory(texts, rec)
    side = select_stream(d / "pool.jsonl", tmp_path / "out.jsonl", rec)
    assert same(a, side), (name, side["dropped"], {k: len(v) for k, v in a.dropped.items()})
    lines = (d / "pool.jsonl").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines() == [lines[i] for i in a.indices]


@pytest.mark.parametrize("inputs, out", [("pool.jsonl.gz", "o.parquet"), ("pool.csv", "o.jsonl"), ("pool.parquet", "o.csv"), ("shard-*.jsonl", "o.jsonl.gz")])
def test_formats_and_shards_keep_the_same_rows(pool, tmp_path, inputs, out):
    d, texts = pool
    rec = load_recipe(RECIPES / "english_web.yaml")
    side = select_stream(str(d / inputs), tmp_path / out, rec)
    assert same(select_in_memory(texts, rec), side)
    got = pd.read_parquet(tmp_path / out) if out.endswith("parquet") else pd.read_csv(tmp_path / out) if out.endswith("csv") \
          else pd.read_json(tmp_path / out, lines=True)
    assert got["id"].tolist() == side["kept"] and got["text"].tolist() == [texts[i] for i in side["kept"]]
    assert len(side["inputs"]) == (3 if "*" in inputs else 1) and all(len(i["sha256"]) == 64 for i in side["inputs"])


def test_near_dedup_fingerprint_path_gives_the_same_rows(pool, tmp_path, monkeypatch):
    "In memory, a large pool keeps one byte per signature value and recomputes the candidates' signatures: still the same rows."
    import functools
    from dsel_course.selection import dedup
    monkeypatch.setattr(dedup, "near_duplicate_of_texts", functools.partial(dedup.near_duplicate_of_texts, max_sig_bytes=1024))
    d, texts = pool
    rec = load_recipe(dict(steps=[{"near_dedup": {"threshold": 0.4, "exact_margin": 0.2}}], budget=1.0))
    assert same(select_in_memory(texts, rec), select_stream(d / "pool.jsonl", tmp_path / "o.jsonl", rec))


def test_provenance_record(pool, tmp_path):
    d, texts = pool
    side = select_stream(d / "pool.jsonl", tmp_path / "o.jsonl", RECIPES / "english_web.yaml", keep_reasons=True, seed=3)
    rec = json.loads((tmp_path / "o.jsonl.selection.json").read_text())
    assert rec["recipe"]["steps"][3] == {"dsir": {"target": "corpus:wikipedia"}} and rec["seed"] == 3
    assert [s["name"] for s in rec["steps"]] == ["exact_dedup", "quality_rules", "near_dedup", "dsir"]
    assert rec["steps"][0]["dropped"]["exact_duplicate"] > 0 and rec["steps"][2]["dropped"]["near_duplicate"] > 0
    assert {"dsel_course", "numpy", "pyarrow", "python"} <= set(rec["versions"])
    reasons = pd.read_csv(tmp_path / "o.jsonl.reasons.csv", keep_default_na=False)
    assert len(reasons) == N and reasons.reason.value_counts()["kept"] == side["n_kept"]
    assert (reasons.reason == "over_budget").sum() == side["n_after_filters"] - side["n_kept"]


def dsel(*args, env=None):
    "The command in its own process (a real kill needs one)."
    return subprocess.run(DSEL + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})


def dsel_here(*args):
    "The command in this process (faster): (exit status, stdout, stderr)."
    import contextlib, io
    from dsel_course.cli import main
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e): rc = main([str(a) for a in args])
    return rc, o.getvalue(), e.getvalue()


@pytest.mark.parametrize("stage", ["pass1", "near"])
def test_a_killed_run_resumes_from_its_last_stage(pool, tmp_path, stage):
    d, _ = pool
    out = tmp_path / "o.jsonl"
    r = dsel("select", d / "pool.jsonl", out, "--recipe", RECIPES / "english_web.yaml", env={"DSEL_STREAM_KILL_AFTER": stage})
    assert r.returncode == -9 and not out.exists() and not (tmp_path / "o.jsonl.selection.json").exists()
    state = json.loads((tmp_path / "o.jsonl.dsel-work" / "state.json").read_text())
    assert state["done"][-1] == stage
    rc, _, err = dsel_here("select", d / "pool.jsonl", out, "--recipe", RECIPES / "english_web.yaml", "--resume")
    assert rc == 0, err
    side = json.loads((tmp_path / "o.jsonl.selection.json").read_text())
    assert side["resumed_from"] == state["done"] and side["stages_s"][stage] == "resumed"
    fresh = select_stream(d / "pool.jsonl", tmp_path / "fresh.jsonl", RECIPES / "english_web.yaml")
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes() and side["kept"] == fresh["kept"]
    assert not (tmp_path / "o.jsonl.dsel-work").exists() and not list(tmp_path.glob(".o.jsonl.*"))


def bad_cases(d, tmp):
    body = (d / "pool.jsonl.gz").read_bytes()
    (tmp / "cut.jsonl.gz").write_bytes(body[: len(body) // 2])
    (tmp / "other-1.jsonl").write_text('{"text": "second shard", "source": "web"}\n')
    (tmp / "other-0.jsonl").write_text('{"text": "first shard"}\n')
    (tmp / "unknown.yaml").write_text("steps:\n  - exact_dedup\n  - near_dedupp\nbudget: 0.5\n")
    return [([tmp / "cut.jsonl.gz", "--recipe", RECIPES / "english_web.yaml"], "damaged or truncated"),
            ([str(tmp / "other-*.jsonl"), "--strategy", "exact_dedup", "--budget", "1.0"], "same schema"),
            ([d / "pool.jsonl", "--recipe", tmp / "unknown.yaml"], "did you mean near_dedup"),
            ([d / "pool.jsonl", "--strategy", "quality_rules", "--budget", "0.9"], "survive the filters"),
            ([d / "pool.jsonl", "--strategy", "near_dedup", "--budget", "1.0", "--param", "treshold=0.5"], "did you mean threshold")]


def test_bad_input_is_one_line_exit_2_and_no_output(pool, tmp_path):
    d, _ = pool
    for args, words in bad_cases(d, tmp_path):
        out = tmp_path / "out.jsonl"
        rc, _, err = dsel_here("select", *args[:1], out, *args[1:])
        assert rc == 2 and words in err and err.count("\n") == 1, (args, err)
        assert not out.exists() and not (tmp_path / "out.jsonl.selection.json").exists() and not list(tmp_path.glob(".out.jsonl.*"))
        assert not (tmp_path / "out.jsonl.dsel-work").exists()   # an error leaves nothing to resume


def test_recipe_check_prints_the_stages():
    for f in ("english_web.yaml", "chinese_web.yaml"):
        rc, o, err = dsel_here("recipe", "check", RECIPES / f)
        assert rc == 0 and o.startswith("ok: " + f[:-5]) and "stages: pass1" in o, err


def test_zst_input_needs_zstandard(pool, tmp_path):
    "A .zst shard without the zstandard module: one line naming `pip install zstandard` (with it: the same rows as the plain file)."
    d, texts = pool
    try:
        import zstandard
    except ImportError:
        (tmp_path / "p.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd not really zstd")
        rc, _, err = dsel_here("select", tmp_path / "p.jsonl.zst", tmp_path / "o.jsonl", "--strategy", "exact_dedup", "--budget", "1.0")
        assert rc == 2 and "pip install zstandard" in err and err.count("\n") == 1 and not (tmp_path / "o.jsonl").exists(), err
        return
    (tmp_path / "p.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress((d / "pool.jsonl").read_bytes()))
    rec = load_recipe(dict(steps=["exact_dedup"], budget=1.0))
    assert same(select_in_memory(texts, rec), select_stream(tmp_path / "p.jsonl.zst", tmp_path / "o.jsonl", rec))


@pytest.mark.parametrize("name", list(CASES))
def test_two_workers_keep_the_rows_of_one(pool, tmp_path, monkeypatch, name):
    "Pass 1 over small pieces in 2 worker processes: the same rows, reasons and output bytes as one process reading the file whole."
    from dsel_course import stream_pass1
    d, _ = pool
    rec = load_recipe(CASES[name])
    one = select_stream(d / "pool.jsonl", tmp_path / "one.jsonl", rec)
    monkeypatch.setattr(stream_pass1, "PIECE_BYTES", 20_000)   # about 150 documents per piece: exact and near duplicates cross pieces
    two = select_stream(d / "pool.jsonl", tmp_path / "two.jsonl", rec, workers=2)
    assert two["pieces"] > 5 and two["workers"] == 2
    assert two["kept"] == one["kept"] and two["dropped_rows"] == one["dropped_rows"] and two["dropped"] == one["dropped"]
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()


def test_two_workers_over_mixed_shards(pool, tmp_path, monkeypatch):
    "Shards of three formats, one of them cut into pieces: 2 workers keep the rows of `select` in memory."
    from dsel_course import stream_pass1
    d, texts = pool
    monkeypatch.setattr(stream_pass1, "PIECE_BYTES", 20_000)
    rec = load_recipe(RECIPES / "english_web.yaml")
    side = select_stream([d / "pool.jsonl.gz", d / "pool.csv", d / "pool.jsonl"], tmp_path / "o.jsonl", rec, workers=2)
    assert same(select_in_memory(texts * 3, rec), side)


@pytest.mark.slow
def test_ray_engine_streams_the_recipe(pool, tmp_path, monkeypatch):
    "`dsel select --engine ray --recipe`: pass 1 as Ray tasks over pieces (a local instance, 2 CPUs): the rows and bytes of the streamed run."
    pytest.importorskip("ray")
    from dsel_course import stream_pass1
    d, texts = pool
    rec = load_recipe(RECIPES / "english_web.yaml")
    one = select_stream(d / "pool.jsonl", tmp_path / "one.jsonl", rec)
    monkeypatch.setattr(stream_pass1, "PIECE_BYTES", 20_000)
    rc, _, err = dsel_here("select", d / "pool.jsonl", tmp_path / "ray.jsonl", "--recipe", RECIPES / "english_web.yaml", "--engine", "ray")
    assert rc == 0, err
    side = json.loads((tmp_path / "ray.jsonl.selection.json").read_text())
    assert side["engine"] == "ray" and side["workers"] == 2 and side["pieces"] > 5
    assert side["kept"] == one["kept"] and side["dropped_rows"] == one["dropped_rows"]
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    import ray
    ray.shutdown()


def test_two_workers_write_compressed_output(pool, tmp_path, monkeypatch):
    "JSON-lines shards to .jsonl.gz with 2 workers: the pieces' kept lines, copied in order through one compressor."
    from dsel_course import stream_pass1
    d, texts = pool
    rec = load_recipe(RECIPES / "english_web.yaml")
    one = select_stream([d / "pool.jsonl", str(d / "shard-*.jsonl")], tmp_path / "one.jsonl", rec)
    monkeypatch.setattr(stream_pass1, "PIECE_BYTES", 20_000)
    two = select_stream([d / "pool.jsonl", str(d / "shard-*.jsonl")], tmp_path / "two.jsonl.gz", rec, workers=2)
    assert two["kept"] == one["kept"] and gzip.decompress((tmp_path / "two.jsonl.gz").read_bytes()) == (tmp_path / "one.jsonl").read_bytes()
