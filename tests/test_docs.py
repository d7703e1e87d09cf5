"""The docs site (mkdocs-material + mkdocs-jupyter, tools/build_docs.py) builds from the notebooks.

What this covers: every notebook in nbs/ becomes a page (index and every chapter), hidden cells are removed,
and the notebooks executed here -- 20_xent in ci mode, the cheapest chapter with plots -- carry their figures
inline. It does not execute every chapter (that is `make docs`, in quick mode, tens of minutes on 2 cores).
The site tests are slow: about 2 minutes on a quiet 2-core machine (6 on a loaded one). The docs-link test is not:
every `Docs:` link of a module docstring (and of nbs/llms.txt, made from them) names a page the build produces, computed
from mkdocs.yml and the notebooks' names without building or any network."""
import ast, html, json, re, subprocess, sys, tomllib
from pathlib import Path
import pytest, yaml

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ["20_xent"]
DOCS_LINK = re.compile(r"https://dsel-course\.github\.io/[^\s)\"'`>]*")


def site_url() -> str:
    "Where the site is published: pyproject's Documentation URL (nbdev's doc_host + doc_baseurl say the same)."
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Documentation"]
    return url if url.endswith("/") else url + "/"


def built_pages() -> set:
    "The pages `make docs` builds, from its config: tools/build_docs.py copies nbs/*.ipynb into mkdocs' docs_dir, and mkdocs.yml's `use_directory_urls: false` names each page <notebook>.html."
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert cfg["use_directory_urls"] is False and cfg["docs_dir"] == "_site_src"
    return {f"{p.stem}.html" for p in (ROOT / "nbs").glob("*.ipynb")}


def docs_links() -> dict:
    "{file: [url, ...]} for every docs-site URL in a module docstring of dsel_course/ (any depth) and in nbs/llms.txt."
    files = sorted((ROOT / "dsel_course").rglob("*.py")) + [ROOT / "nbs" / "llms.txt"]
    out = {}
    for f in files:
        if f.name == "_modidx.py": continue    # nbdev's symbol index (doc_host, show_doc anchors), not a module docstring
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".py":
            text = ast.get_docstring(ast.parse(text), clean=False) or ""
        urls = DOCS_LINK.findall(text)
        if urls: out[str(f.relative_to(ROOT))] = urls
    return out


def test_docs_links_name_built_pages():
    "Every `Docs:` link names a page the docs build produces (no `core.html.md`: mkdocs builds 00_core.html)."
    base, pages, links = site_url(), built_pages(), docs_links()
    assert len(links) >= 20, links                                 # the exported modules and llms.txt do carry links
    bad = [(f, u) for f, us in links.items() for u in us if not (u.startswith(base) and u[len(base):].split("#")[0] in pages)]
    assert not bad, f"docs links that name no page of the site ({base} + one of {len(pages)} pages such as 00_core.html): {bad[:5]}"
    from dsel_course._nbsplit import site_page_url                 # the link nbdev-export writes, for every notebook
    for p in sorted((ROOT / "nbs").glob("*.ipynb")):
        assert site_page_url(p) == base + f"{p.stem}.html", (p, site_page_url(p))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("docs")
    r = subprocess.run([sys.executable, "tools/build_docs.py", "--mode", "ci", *EXECUTED, "--site", d / "site", "--src", d / "src"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return d / "site"


@pytest.mark.slow
def test_every_notebook_has_a_page(site):
    for nb in sorted((ROOT / "nbs").glob("*.ipynb")):
        page = site / f"{nb.stem}.html"
        assert page.exists(), page
        title = re.sub(r"[`*]", "", json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"][0].lstrip("# ").strip())
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))   # the page as text
        assert title.split("(")[0].strip()[:20] in text, (nb.stem, title)
    assert (site / "index.html").exists() and (site / "search" / "search_index.json").exists()
    assert {p.name for p in site.glob("*.html")} >= built_pages()      # the page list the docs-link test computes
    base = site_url()
    for f, urls in docs_links().items():
        for u in urls: assert (site / u[len(base):].split("#")[0]).is_file(), (f, u)


@pytest.mark.slow
def test_executed_pages_hold_their_figures(site):
    for name in EXECUTED:
        h = (site / f"{name}.html").read_text(encoding="utf-8")
        assert h.count("data:image/png") >= 2, name
        assert "from fastcore.test import" not in h      # `#| hide` cells are not in the page
