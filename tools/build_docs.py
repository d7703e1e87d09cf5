"""Build the docs site from the notebooks: copy nbs/*.ipynb to _site_src/ (hidden cells tagged away, Colab-only
install cells kept as text but never run), optionally execute them in a run mode so plots are in the pages, then
`mkdocs build` (mkdocs-material + mkdocs-jupyter) into _site/.

    python tools/build_docs.py                      # every notebook, executed in quick mode (make docs)
    python tools/build_docs.py --mode ci --execute 01_data 20_xent --site /tmp/site   # what the test does
"""
import argparse, json, os, re, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*)$")


def directives(src: str) -> dict:
    "nbdev cell directives (`#| hide`, `#|eval: false`, ...) of a cell's source, name -> value."
    out = {}
    for line in src.splitlines():
        m = DIRECTIVE.match(line)
        if not m: break
        out[m.group(1)] = m.group(2).strip()
    return out


def prepare(nb: dict) -> dict:
    "A copy for the site: `#| hide` cells tagged remove_cell, `#|eval: false` cells marked to skip, outputs cleared."
    nb = json.loads(json.dumps(nb))
    for c in nb["cells"]:
        if c["cell_type"] != "code": continue
        d = directives("".join(c["source"]))
        tags = set(c.setdefault("metadata", {}).get("tags", []))
        if "hide" in d or "default_exp" in d: tags.add("remove_cell")
        if d.get("eval") == "false": tags.add("skip-execution")
        c["metadata"]["tags"] = sorted(tags)
    return nb


def execute(nb: dict, mode: str, cwd: Path, timeout: int) -> dict:
    "Run the notebook in `mode` (DSEL_MODE) with nbclient; cells tagged skip-execution are not run."
    import nbformat
    from nbclient import NotebookClient
    node = nbformat.reads(json.dumps(nb), as_version=4)   # joins list sources into str
    # nbclient has no per-cell skip: run a copy without the skipped cells, then put them back (unexecuted)
    keep = [c for c in node.cells if "skip-execution" not in c.metadata.get("tags", [])]
    run = nbformat.v4.new_notebook(cells=keep, metadata=node.metadata)
    os.environ["DSEL_MODE"] = mode
    client = NotebookClient(run, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.comm_open_handlers = {}   # no Output-widget emulation: its sends can stall the run (tools/nbclient_widget_stall.py)
    client.execute()
    it = iter(run.cells)
    node.cells = [c if "skip-execution" in c.metadata.get("tags", []) else next(it) for c in node.cells]
    return node


def build(names=None, *, mode="quick", do_execute=True, site=ROOT / "_site", src=ROOT / "_site_src", timeout=900):
    "Prepare (and execute) the notebooks, then mkdocs build; returns {notebook: seconds}."
    import nbformat
    nbs = sorted(p for p in (ROOT / "nbs").glob("*.ipynb"))
    to_run = set(names) if names is not None else {p.stem for p in nbs}
    unknown = to_run - {p.stem for p in nbs}
    if unknown: raise SystemExit(f"build_docs: no notebook {sorted(unknown)} in nbs/: use names like 01_data")
    if src.exists(): shutil.rmtree(src)
    src.mkdir(parents=True)
    timings = {}
    for p in nbs:
        nb = prepare(json.loads(p.read_text(encoding="utf-8")))
        if do_execute and p.stem in to_run:
            t0 = time.time(); print(f"  executing {p.name} ({mode})", file=sys.stderr, flush=True)
            nb = execute(nb, mode, ROOT / "nbs", timeout)
            timings[p.stem] = round(time.time() - t0, 1)
        nbformat.write(nbformat.reads(json.dumps(nb), as_version=4) if isinstance(nb, dict) else nb, src / p.name)
    cfg = (ROOT / "mkdocs.yml").read_text().replace("docs_dir: _site_src", f"docs_dir: {src}").replace("site_dir: _site", f"site_dir: {site}")
    (src.parent / f".{src.name}.mkdocs.yml").write_text(cfg)
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(src.parent / f".{src.name}.mkdocs.yml")],
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode: raise SystemExit(f"mkdocs build failed:\n{r.stderr[-3000:]}")
    return timings


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", help="notebooks to execute (default: all); the others are rendered without outputs")
    ap.add_argument("--mode", default="quick", choices=["ci", "quick", "full"])
    ap.add_argument("--no-execute", action="store_true", help="render the notebooks as they are (no outputs)")
    ap.add_argument("--site", default=str(ROOT / "_site")); ap.add_argument("--src", default=str(ROOT / "_site_src"))
    a = ap.parse_args()
    t = build(a.notebooks or None, mode=a.mode, do_execute=not a.no_execute, site=Path(a.site), src=Path(a.src))
    print(f"site in {a.site}; executed: {t}")
