"""The course's own pace: how long each notebook takes to execute in one mode (default `quick`).

    python bench/bench_notebooks.py [--mode quick] [--only 40_finetune 60_hallucination] [--out bench/results] [--force]
    python bench/bench_notebooks.py --tour --force   # only `dsel tour` in that mode: its wall time and steps, into the same JSON

Each notebook runs in a fresh kernel (nbclient, the engine behind `jupyter nbconvert --execute`), one
after the other, with the mode set through DSEL_MODE and model caches already on disk. Per notebook
the JSON records the wall seconds, the kernel's CPU seconds (user + system, all threads, plus the worker processes
it has waited for; read from /proc before the kernel exits), the load average before and after, and whether it ran without error.
On a shared machine the wall time is inflated; the CPU seconds are the better estimate of the time
on an idle 2-core machine (at most CPU / 2 when both cores are busy, at most CPU when one is).

Writes bench/results/notebooks-<mode>.json and .png atomically; an existing output needs --force
(with --only, the rows of the other notebooks in an existing file are kept).
"""
import argparse, io, json, os, sys, time, platform
from pathlib import Path
from dsel_course.data import write_atomic   # the library's atomic write (temp file in the same folder, then rename)

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 180   # the course's goal: every notebook <= 3 minutes in quick mode on 2 cores

def proc_cpu_seconds(pid: int) -> float:
    "user + system CPU seconds of a live process (all its threads) and of its children it has waited for (e.g. a finished process pool), from /proc/<pid>/stat."
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")

def run_one(path: Path, mode: str, timeout: int, keep: Path | None = None) -> dict:
    "Execute one notebook in a fresh kernel; wall and CPU seconds, load, error (if any); with `keep`, the executed notebook is written there."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("DSEL_MODE"); os.environ["DSEL_MODE"] = mode
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.comm_open_handlers = {}   # no Output-widget emulation: its sends can stall the run (tools/nbclient_widget_stall.py)
    load0, t0, cpu, err = os.getloadavg(), time.perf_counter(), float("nan"), None
    try:
        with client.setup_kernel():
            pid = client.km.provisioner.pid if hasattr(client.km, "provisioner") and client.km.provisioner else None
            try:
                for i, cell in enumerate(nb.cells): client.execute_cell(cell, i)
            except Exception as e: err = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
            if pid: cpu = proc_cpu_seconds(pid)
    except Exception as e: err = err or f"{type(e).__name__}: {e}"
    finally:
        if keep is not None: keep.mkdir(parents=True, exist_ok=True); nbformat.write(nb, str(keep / f"{path.stem}.{mode}.ipynb"))
        if env_before is None: os.environ.pop("DSEL_MODE", None)
        else: os.environ["DSEL_MODE"] = env_before
    return dict(notebook=path.stem, mode=mode, wall_s=round(time.perf_counter() - t0, 1), cpu_s=round(cpu, 1),
                load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()], ok=err is None, error=err)

TOUR_GOAL_S = 120   # `dsel tour --mode quick` under 2 minutes

def run_tour_timed(mode: str) -> dict:
    "Run `dsel tour --mode <mode>` in a fresh process; its wall seconds, the CPU seconds of it and its workers, load, and its step timings."
    import re, resource, subprocess, tempfile
    exe = Path(sys.executable).parent / "dsel"
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "tour.html"
        cmd = [str(exe), "tour", "--mode", mode, "--out", str(out)]
        load0, t0, c0 = os.getloadavg(), time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True)
        wall, c1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)   # children include the waited-for worker processes
        if r.returncode != 0: sys.exit(f"the tour failed: {r.stderr[-1500:]}")
        html = out.read_text()
    tail = html[html.index("Step timings"):]
    steps = {t: float(v) for t, v in re.findall(r"<li>(.*?): ([0-9.]+)</li>", tail)}
    jobs = re.search(r"Step timings \(seconds, (\d+) process", tail)
    return dict(command=" ".join(["dsel", *cmd[1:4]]), wall_s=round(wall, 1), cpu_s=round((c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime), 1),
                processes=int(jobs.group(1)) if jobs else None, goal_s=TOUR_GOAL_S, met=wall <= TOUR_GOAL_S,
                load_before=[round(x, 2) for x in load0], load_after=[round(x, 2) for x in os.getloadavg()], step_s=steps)

def plot(rows: list, out: Path, mode: str):
    "Horizontal bars: wall and CPU seconds per notebook, with the 3-minute line."
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    rows = sorted(rows, key=lambda r: r["notebook"])
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(rows) + 1.2))
    y = range(len(rows))
    ax.barh([i + 0.2 for i in y], [r["wall_s"] for r in rows], 0.4, label="wall s", color="tab:blue")
    ax.barh([i - 0.2 for i in y], [r["cpu_s"] for r in rows], 0.4, label="CPU s (kernel, all threads)", color="tab:gray")
    ax.axvline(BUDGET_S, color="tab:red", ls="--", label="3 minutes"); ax.set_yticks(list(y), [r["notebook"] for r in rows], fontsize=7)
    ax.set(xlabel="seconds", title=f"notebooks in {mode} mode ({platform.node()}, {os.cpu_count()} CPUs)"); ax.legend(fontsize=7)
    fig.tight_layout(); buf = io.BytesIO(); fig.savefig(buf, format="png", dpi=110); write_atomic(out, buf.getvalue())   # normal permissions, atomic

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", default="quick", choices=("ci", "quick", "full"))
    p.add_argument("--only", nargs="*", help="notebook stems to run, e.g. 40_finetune (default: every notebook in nbs/)")
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds")
    p.add_argument("--force", action="store_true", help="replace an existing output")
    p.add_argument("--keep-outputs", default=None, help="folder to write each executed notebook to (to read the numbers it printed)")
    p.add_argument("--tour", action="store_true", help="time only `dsel tour` in this mode and store it under 'tour' in the existing JSON")
    a = p.parse_args(argv)
    out = Path(a.out) / f"notebooks-{a.mode}.json"
    if out.exists() and not a.force: sys.exit(f"{out} exists: pass --force to replace it")
    if a.tour:
        if not out.exists(): sys.exit(f"{out} does not exist: time the notebooks first (without --tour)")
        rec = json.loads(out.read_text()); rec["tour"] = run_tour_timed(a.mode); print(json.dumps(rec["tour"]))
        write_atomic(out, (json.dumps(rec, indent=1) + "\n").encode()); print(f"wrote {out}"); return
    nbs = sorted((ROOT / "nbs").glob("*.ipynb"))
    if a.only:
        unknown = set(a.only) - {n.stem for n in nbs}
        if unknown: sys.exit(f"unknown notebook(s) {sorted(unknown)}: use stems of nbs/*.ipynb, e.g. 40_finetune")
        nbs = [n for n in nbs if n.stem in a.only]
    from tqdm.auto import tqdm
    rows = []
    for nb in tqdm(nbs, desc=f"notebooks ({a.mode})", unit="nb"):
        rows.append(run_one(nb, a.mode, a.timeout, Path(a.keep_outputs) if a.keep_outputs else None)); print(json.dumps(rows[-1]), flush=True)
    keep = []
    if a.only and out.exists():   # keep the other notebooks' rows of an earlier run
        keep = [r for r in json.loads(out.read_text())["rows"] if r["notebook"] not in set(a.only)]
    allrows = sorted(keep + rows, key=lambda r: r["notebook"])
    old_tour = json.loads(out.read_text()).get("tour") if out.exists() else None
    rec = dict(mode=a.mode, budget_s=BUDGET_S, machine=dict(node=platform.node(), cpus=os.cpu_count(), python=platform.python_version()),
               when=time.strftime("%Y-%m-%d %H:%M:%S %Z"), rows=allrows,
               over_budget=[r["notebook"] for r in allrows if r["wall_s"] > BUDGET_S],
               note="wall_s is inflated on a shared machine (see load_before/load_after); cpu_s counts the kernel's threads")
    if old_tour: rec["tour"] = old_tour   # measured with --tour; kept until re-measured
    write_atomic(out, (json.dumps(rec, indent=1) + "\n").encode())
    plot(allrows, out.with_suffix(".png"), a.mode)
    print(f"wrote {out} and {out.with_suffix('.png')}")

if __name__ == "__main__":
    main()
