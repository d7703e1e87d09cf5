"""A Jupyter-first, reproducible course and toolkit on choosing training data for language models

Modules:

- `dsel_course.core`: One place for what every chapter needs: `set_seed`, the device choice, the run **mode** (`ci` / `quick` / `full`) with the single table of sizes per mode, and the environment report printed at the top of each notebook.
- `dsel_course.data`: Every corpus the course uses, loaded by name as a `datasets.Dataset` with a common schema, a data card (数据卡片) that says where it came from and what is wrong with it, and a sha256 check of every file read.
- `dsel_course.tour`: `make tour` (or `dsel tour`) runs the headline step of each chapter in `quick` mode on the bundled offline data and writes `reports/tour.html`: the environment report, the data cards and the corpus plots, and what later chapters add."""

__version__ = "0.0.1"
