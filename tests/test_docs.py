"""The docs site (mkdocs-material + mkdocs-jupyter, tools/build_docs.py) builds from the notebooks.

What this covers: every notebook in nbs/ becomes a page (index and every chapter), hidden cells are removed,
and the notebooks executed here -- 20_xent in ci mode, the cheapest chapter with plots -- carry their figures
inline. It does not execute every chapter (that is `make docs`, in quick mode, tens of minutes on 2 cores).
Slow: about 2 minutes on a quiet 2-core machine (6 on a loaded one)."""
import html, json, re, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
EXECUTED = ["20_xent"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    r = subprocess.run([sys.executable, "tools/build_docs.py", "--mode", "ci", *EXECUTED, "--site", d / "site", "--src", d / "src"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return d / "site"


def test_every_notebook_has_a_page(site):
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        page = site / f"{nb.stem}.html"
        assert page.exists(), page
        title = re.sub(r"[`*]", "", json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"][0].lstrip("# ").strip())
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))   # the page as text
        assert title.split("(")[0].strip()[:20] in text, (nb.stem, title)
    assert (site / "index.html").exists() and (site / "search" / "search_index.json").exists()


def test_executed_pages_hold_their_figures(site):
    for name in EXECUTED:
        h = (site / f"{name}.html").read_text(encoding="utf-8")
        assert h.count("data:image/png") >= 2, name
        assert "from fastcore.test import" not in h      # `#| hide` cells are not in the page
