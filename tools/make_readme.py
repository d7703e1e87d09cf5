"Regenerate README.md from nbs/index.ipynb offline (nbdev-readme needs quarto). Run: make readme"
# README.md from nbs/index.ipynb, offline, without quarto: drop #|hide/#|export cells and outputs,
# strip #| directive lines from code cells, convert with nbconvert, write atomically.
import os, re, tempfile, nbformat
from nbconvert import MarkdownExporter
nb = nbformat.read("nbs/index.ipynb", as_version=4)
nb.metadata["language_info"] = {"name": "python"}
d = re.compile(r"^\s*#\s*\|\s*([\w-]+)")
cells = []
for c in nb.cells:
    if c.cell_type == "code":
        lines = c.source.splitlines()
        if any((m := d.match(l)) and m.group(1) in ("hide", "export", "exporti", "exports", "default_exp") for l in lines): continue
        c.source = "\n".join(l for l in lines if not d.match(l)).strip("\n"); c.outputs = []
    cells.append(c)
nb.cells = cells
md = MarkdownExporter(exclude_output=True).from_notebook_node(nb)[0]
md = re.sub(r"\n{3,}", "\n\n", md).strip() + "\n\n<!-- Generated from nbs/index.ipynb; edit the notebook, not this file -->\n"
fd, tmp = tempfile.mkstemp(dir=".", prefix=".README.", suffix=".tmp")
with os.fdopen(fd, "w", encoding="utf-8") as f: f.write(md)
os.chmod(tmp, 0o644); os.replace(tmp, "README.md")
