"""Run every notebook on the `full`-mode code path on a CPU: `DSEL_MODE=full`, every full size shrunk by
`DSEL_FULL_SCALE` (never below its ci size), and the Hugging Face hub stood in by chapter 4's stand-ins
(an IMDB-shaped dataset and a tiny uncased BERT, `dsel_course.labs.full_path.write_stand_ins`, served to
every kernel through `DSEL_HUB_STAND_INS`). The same cells and branches as a real full run on a GPU, with
small numbers; nothing is downloaded. Called by `make full-check` (part of `make test`).

    python tools/full_check.py                          # every numbered notebook in nbs/ (the index has no full path)
    python tools/full_check.py --file-re '^60_'         # one notebook
    python tools/full_check.py --file-re '^(40|44)_'    # a few

A notebook passes when its full branches run at these sizes; size-dependent findings are asserted only where
`scaled_down()` is False (a real full run), so a pass says the code runs, not what it finds. What a real full run
costs on a GPU is in each chapter's first cell (`dsel_course.core.full_cost`).
"""
import argparse, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every numbered notebook (foundation 00-05, chapters 10-80, top floor 90-92); the index has no full-mode branch.
# CPU-seconds per notebook at DSEL_FULL_SCALE=0.001 are in bench/results/full_check.json.
DEFAULT_RE = r"^\d\d_"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.001, help="DSEL_FULL_SCALE, in (0, 1] (default 0.001)")
    p.add_argument("--file-re", default=DEFAULT_RE, help=f"notebooks to run (nbdev-test --file-re; default {DEFAULT_RE})")
    p.add_argument("--n-workers", type=int, default=int(os.environ.get("NB_WORKERS", 2)))
    p.add_argument("--reviews", type=int, default=400, help="reviews per labelled split of the IMDB stand-in")
    a = p.parse_args(argv)
    if not 0 < a.scale <= 1: p.error("--scale must be in (0, 1]")
    sys.path.insert(0, str(ROOT))
    import datasets; datasets.disable_progress_bars()
    from dsel_course.labs.full_path import write_stand_ins
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="dsel-stand-ins-") as d:
        t0 = time.perf_counter()
        write_stand_ins(Path(d) / "hub", n=a.reviews)
        env = {**os.environ, "DSEL_MODE": "full", "DSEL_FULL_SCALE": str(a.scale), "DSEL_HUB_STAND_INS": str(Path(d) / "hub"),
               "DSEL_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        env.pop("DSEL_ONLINE", None)
        print(f"== full-mode code path on the CPU: DSEL_MODE=full DSEL_FULL_SCALE={a.scale}, hub stood in ({Path(d) / 'hub'}), "
              f"notebooks matching {a.file_re!r}", flush=True)
        r = subprocess.run([str(bindir / "nbdev-test"), "--n-workers", str(a.n_workers), "--timing", "--file-re", a.file_re],
                           cwd=ROOT, env=env)
        print(f"== full-check: {'passed' if r.returncode == 0 else 'FAILED'} in {time.perf_counter() - t0:.0f} s "
              f"(load {open('/proc/loadavg').read().split()[:3] if Path('/proc/loadavg').exists() else 'n/a'})", flush=True)
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
