"""`make setup` on a laptop that is not this machine: the Python check comes first with a one-line message, the set-up
key is computed without `sha256sum` (macOS has none), a `.venv` with the wrong Python or without pip is rebuilt, and
saving a notebook in Jupyter strips its outputs (nbdev's pre-save hook, `jupyter_hooks = true`)."""
import hashlib, os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import setup_check  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _bin_without_sha256sum(tmp_path) -> Path:
    "A PATH folder like a Mac's for this purpose: make, bash and python3, and no sha256sum."
    b = tmp_path / "bin"; b.mkdir()
    for tool in ("make", "bash"): (b / tool).symlink_to(shutil.which(tool))
    (b / "python3").symlink_to(sys.executable)
    assert shutil.which("sha256sum", path=str(b)) is None
    return b


def _copy_project(tmp_path, requires=None) -> Path:
    "The files make's set-up logic reads, copied (requires-python changed if asked)."
    d = tmp_path / "proj"; (d / "tools").mkdir(parents=True)
    for f in ("Makefile", "constraints.txt", "requirements-data.txt", "pyproject.toml"): shutil.copy(ROOT / f, d / f)
    shutil.copy(ROOT / "tools" / "setup_check.py", d / "tools" / "setup_check.py")
    if requires:
        p = d / "pyproject.toml"
        p.write_text(p.read_text().replace('requires-python = ">=3.11"', f'requires-python = ">={requires}"'))
    return d


def test_key_is_the_files_sha256_and_needs_no_sha256sum(tmp_path):
    env = {"PATH": str(_bin_without_sha256sum(tmp_path)), "HOME": str(tmp_path)}
    r = subprocess.run(["make", "-s", "python-check", "print-setup-key"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    want = hashlib.sha256(b"".join((ROOT / f).read_bytes() for f in setup_check.KEY_FILES)).hexdigest()[:16]
    assert r.stdout.split() == [want]                      # the same key `cat ... | sha256sum` gave, never empty


def test_too_old_python_is_one_line_and_stops_setup(tmp_path):
    d = _copy_project(tmp_path, requires="9.9")            # this Python (3.x) is "too old" for the copy
    r = subprocess.run(["make", "-s", "setup"], cwd=d, env={"PATH": str(_bin_without_sha256sum(tmp_path)), "HOME": str(tmp_path)},
                       capture_output=True, text=True)
    assert r.returncode != 0
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 1 and "needs Python >= 9.9" in lines[0] and "PYTHON=python9.9" in lines[0], r.stdout + r.stderr
    assert not (d / ".venv").exists()                      # nothing was built
    assert setup_check.check_python((3, 10)) is not None and setup_check.check_python((3, 11)) is None


def test_broken_venv_is_rebuilt_and_a_good_one_kept(tmp_path):
    d = _copy_project(tmp_path)
    key = subprocess.run([sys.executable, "tools/setup_check.py", "key"], cwd=d, capture_output=True, text=True).stdout.strip()
    good, nopip = d / "good", d / "nopip"
    for v in (good, nopip):
        (v / "bin").mkdir(parents=True); (v / f".dsel-setup-{key}").touch()
    (good / "bin" / "python").symlink_to(sys.executable)   # this interpreter: new enough, has pip
    (nopip / "bin" / "python").write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.exit(1)'\n")
    (nopip / "bin" / "python").chmod(0o755)
    assert setup_check.check_venv(str(good)) is None and "no pip" in setup_check.check_venv(str(nopip))
    assert "no bin/python" in setup_check.check_venv(str(d / "missing"))
    env = {**os.environ, "PYTHON": sys.executable}
    plan = lambda v: subprocess.run(["make", "-n", "setup", f"VENV={v.name}", f"PYTHON={sys.executable}"], cwd=d, env=env,
                                    capture_output=True, text=True).stdout
    assert "pip install" not in plan(good)                 # stamp present, venv fine: nothing to do
    assert "pip install" in plan(nopip) and "rebuilding" in plan(nopip)


def test_saving_a_notebook_in_jupyter_strips_outputs():
    "nbdev's pre-save hook (what make setup writes into .venv/etc/jupyter) cleans notebooks of this project."
    import tomllib
    from nbdev.clean import clean_jupyter, _pre_save_hook_src
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["nbdev"]["jupyter_hooks"] is True
    model = {"type": "notebook", "content": {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3"}},
             "cells": [{"cell_type": "code", "execution_count": 3, "id": "a1", "metadata": {}, "source": "1 + 1",
                        "outputs": [{"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}, "execution_count": 3}]}]}}
    clean_jupyter(path=str(ROOT / "nbs" / "00_core.ipynb"), model=model)
    cell = model["content"]["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "pre_save_hook" in _pre_save_hook_src and "pre_save_hook" in (ROOT / "Makefile").read_text().replace("_pre_save_hook_src", "pre_save_hook")
