"""Streamed `dsel select --recipe` at corpus scale: peak memory, documents per second, cost growth, and the recipe
against the four single-strategy calls.

    python bench/bench_select_stream.py [--sizes 1000000,10000000] [--workers 1,2] [--tmp /tmp/dsel_stream_bench] [--out bench/results] [--force]
    python bench/bench_select_stream.py --crossover 1000000 [--force]    # chapter 8's crossover model against a measured Ray run

Documents: bench/bench_select.py's generator (three windows of 3-8 words from the course's mixed pool, 2% exact copies
and 2% near-duplicates planted), written as JSON-lines shards of 1,000,000 documents each (seed = shard number) under
--tmp, never in the repository. The recipe is the shipped dsel_course/assets/recipes/english_web.yaml
(exact dedup -> quality rules -> near dedup -> DSIR 10% towards the bundled Wikipedia summaries).

Measured, each run in a fresh process (`dsel_course.stream.select_stream` on the shards' glob), for each --workers
count in turn (the same shards, one after the other, so that their load is comparable):
- wall and CPU seconds end to end (read, score, write; CPU includes the worker processes), docs/s;
- peak memory: the run's process tree sampled every 0.2 s (sum of RSS and of PSS over the process and its workers;
  PSS counts a page shared by forked workers once), and the main process's own VmHWM;
- the cost exponent between the two sizes: log(t2/t1) / log(n2/n1), on wall and on CPU seconds;
- on the first size: each of the four steps alone through `select` on the documents in memory (its scoring time only,
  the documents already loaded), summed, against the recipe's streamed end-to-end time.
The machine's load average is recorded before and after (the machine is shared); CPU seconds are the figure to compare.
Writes bench/results/select_stream.json and select_stream.png (atomically; an existing JSON only with --force).
Run it on an idle machine (load average below the core count): on Linux with autogroup scheduling, a busy machine
gives the whole run one session's share of the cores, so a second worker cannot show in the wall time.

--crossover N: chapter 8's model (T_ray = T0 + N / (r_ray * cores)) fitted as the chapter fits it (T0 on 200
documents, rates on N/10) for exact dedup, near dedup, quality rules and DSIR, then `select` and `select_ray` (2 local
Ray CPUs) timed on N documents of the first shard (same rows asserted); writes bench/results/ray_crossover.json.
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
RECIPE = ROOT / "dsel_course" / "assets" / "recipes" / "english_web.yaml"
SHARD = 1_000_000


def load():
    return [round(x, 2) for x in os.getloadavg()]


def make_shards(tmp, n):
    "JSON-lines shards of SHARD documents (the last may be shorter), written once and reused."
    from bench_select import synth_docs
    tmp.mkdir(parents=True, exist_ok=True); paths = []
    for k in range((n + SHARD - 1) // SHARD):
        p = tmp / f"docs-{k:03d}.jsonl"; m = min(SHARD, n - k * SHARD)
        if not p.exists():
            t0 = time.time(); docs, _, _ = synth_docs(m, seed=k)
            with open(p.with_suffix(".tmp"), "w", encoding="utf-8") as f:
                for i, t in enumerate(docs): f.write(json.dumps({"id": k * SHARD + i, "text": t}, ensure_ascii=False) + "\n")
            os.replace(p.with_suffix(".tmp"), p); print(f"  wrote {p} ({m:,} docs, {time.time() - t0:.0f}s)", flush=True)
        paths.append(p)
    return paths


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from dsel_course.stream import select_stream
ins, out, recipe, workers = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def cpu(): a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN); return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
t0, c0 = time.perf_counter(), cpu()
side = select_stream(ins, out, recipe, force=True, workers=workers)
wall, cpu_s = time.perf_counter() - t0, cpu() - c0
hwm = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps(dict(seconds=wall, cpu_s=cpu_s, main_vmhwm_mb=hwm, children_maxrss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      n_rows=side["n_rows"], n_kept=side["n_kept"], n_after_filters=side["n_after_filters"], dropped=side["dropped"],
                      stages_s=side["stages_s"], stages_cpu_s=side.get("stages_cpu_s"), workers=workers, pieces=side.get("pieces"))))
"""


def tree_memory(pid):
    "(sum of RSS, sum of PSS) in MB over a process and its descendants, or None when it is gone."
    import psutil
    try:
        ps = [psutil.Process(pid)]; ps += ps[0].children(recursive=True)
    except psutil.NoSuchProcess: return None
    rss = pss = 0
    for p in ps:
        try: m = p.memory_full_info(); rss += m.rss; pss += m.pss
        except (psutil.NoSuchProcess, psutil.AccessDenied): pass
    return rss / 2**20, pss / 2**20


def run_recipe(paths, out, workers=1):
    "The recipe in a fresh process, its process tree's memory sampled; returns its measurements."
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    pr = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps([str(p) for p in paths]), str(out), str(RECIPE), str(workers)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0.0, 0.0]
    while pr.poll() is None:
        m = tree_memory(pr.pid)
        if m: peak = [max(peak[0], m[0]), max(peak[1], m[1])]
        time.sleep(0.2)
    o, e = pr.communicate()
    if pr.returncode: raise SystemExit(f"recipe run failed: {e[-2000:]}")
    r = json.loads(o.strip().splitlines()[-1])
    r.update(peak_tree_rss_mb=round(peak[0], 1), peak_tree_pss_mb=round(peak[1], 1), peak_rss_mb=round(peak[1], 1))   # the target is checked on PSS
    return r


SINGLES = r"""
import json, sys, time
from datasets import Dataset
from dsel_course.stream import load_recipe, build_steps, read_texts
from dsel_course.selection import select
texts = read_texts(sys.argv[1]); rec = load_recipe(sys.argv[2]); steps = build_steps(rec)
ds = Dataset.from_dict({"text": texts}); out = {}
select(ds.select(range(2000)), steps[2], 1.0, diversity=False)   # compiled loops loaded before any timing
for (name, _), st in zip(rec.steps, steps):
    t0, c0 = time.perf_counter(), time.process_time()
    select(ds, st, rec.budget if st.ranks else 1.0, seed=rec.seed, diversity=False)
    out[name] = dict(seconds=time.perf_counter() - t0, cpu_s=time.process_time() - c0)
print(json.dumps(out))
"""


def run_singles(path):
    "Each recipe step alone through `select` on the documents in memory: scoring time only."
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", SINGLES, str(path), str(RECIPE)], capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"single-strategy runs failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


XOVER = r"""
import json, sys, time
import numpy as np
from datasets import Dataset
from dsel_course.stream import read_texts
from dsel_course.scale import ensure_ray, select_ray
from dsel_course.selection import select, ExactDedup, NearDedup, QualityRules, ImportanceResample
path, N, N_CAL, N_TINY, CORES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), 200, 2
texts = read_texts(path)[:N]; pool = Dataset.from_dict({"text": texts})
target = [t for t in texts[:N_CAL] if len(t.split()) > 12][:2_000]   # as chapter 8: the longer documents as DSIR's target
cases = {"exact_dedup": (ExactDedup(), 1.0), "near_dedup": (NearDedup(0.7), 1.0),
         "quality_rules": (QualityRules(terminal_punct=False), 1.0), "dsir": (ImportanceResample(target), 0.2)}
ensure_ray(num_cpus=CORES); out = {}
def timed(f):
    t0 = time.perf_counter(); r = f(); return time.perf_counter() - t0, r
for name, (st, b) in cases.items():
    tiny, cal = pool.select(range(N_TINY)), pool.select(range(N_CAL))
    select(tiny, st, b, seed=7, diversity=False); select_ray(tiny, st, b, seed=7)   # warm-up: imports, compiled loops, Ray workers
    t0_fixed, _ = timed(lambda: select_ray(tiny, st, b, seed=7))                  # chapter 8's T0: the pass on a tiny pool
    cal_local, _ = timed(lambda: select(cal, st, b, seed=7, diversity=False)); cal_ray, _ = timed(lambda: select_ray(cal, st, b, seed=7))
    r_local = N_CAL / cal_local; r_ray_core = N_CAL / max(cal_ray - t0_fixed, 1e-3) / CORES
    pred_local, pred_ray = N / r_local, t0_fixed + N / (r_ray_core * CORES)
    meas_local, a = timed(lambda: select(pool, st, b, seed=7, diversity=False)); meas_ray, r = timed(lambda: select_ray(pool, st, b, seed=7))
    assert np.array_equal(a.indices, r.indices), name
    out[name] = dict(t0_fixed_s=round(t0_fixed, 3), calib_local_s=round(cal_local, 3), calib_ray_s=round(cal_ray, 3), r_local=round(r_local), r_ray_core=round(r_ray_core),
                     predicted_local_s=round(pred_local, 2), predicted_ray_s=round(pred_ray, 2), measured_local_s=round(meas_local, 2), measured_ray_s=round(meas_ray, 2),
                     predicted_ray_wins=bool(pred_ray < pred_local), measured_ray_wins=bool(meas_ray < meas_local),
                     ray_over_predicted=round(meas_ray / pred_ray, 3), local_over_predicted=round(meas_local / pred_local, 3))
    print(name, json.dumps(out[name]), file=sys.stderr, flush=True)
print(json.dumps(out))
"""


def crossover(a):
    "Chapter 8's crossover model, calibrated as the chapter does (T0 on 200 documents, rates on --crossover/10), against measured runs on --crossover documents."
    from dsel_course.data import write_atomic
    outj = Path(a.out) / "ray_crossover.json"
    if outj.exists() and not a.force: raise SystemExit(f"{outj} exists: pass --force to replace it")
    n = a.crossover; paths = make_shards(Path(a.tmp), n); res = dict(machine=f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        python=platform.python_version(), n_docs=n, n_calibration=n // 10, ray_cpus=2, docs=str(paths[0].name), loadavg_before=load(), proc_loadavg_before=open("/proc/loadavg").read().strip())
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", XOVER, str(paths[0]), str(n), str(n // 10)], capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"crossover run failed: {r.stderr[-2000:]}")
    res["methods"] = json.loads(r.stdout.strip().splitlines()[-1])
    res["loadavg_after"] = load(); res["proc_loadavg_after"] = open("/proc/loadavg").read().strip()
    m = res["methods"].values()
    res["winner_predicted_right"] = all(v["predicted_ray_wins"] == v["measured_ray_wins"] for v in m)
    res["held"] = res["winner_predicted_right"] and all(0.67 <= v["ray_over_predicted"] <= 1.5 for v in m)   # the winner, and Ray's time within a factor 1.5
    write_atomic(outj, json.dumps(res, indent=1)); print(json.dumps(res, indent=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000000,10000000"); ap.add_argument("--tmp", default="/tmp/dsel_stream_bench")
    ap.add_argument("--workers", default="1,2", help="worker counts to run at every size, one after the other")
    ap.add_argument("--crossover", type=int, default=None, help="instead: chapter 8's crossover model against a measured run of this many documents")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results")); ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-singles", action="store_true", help="skip the four single-strategy runs")
    ap.add_argument("--replot", default=None, help="only redraw the plot of this results JSON (next to it, .png)")
    a = ap.parse_args()
    if a.replot: return plot(json.loads(Path(a.replot).read_text()), Path(a.replot).with_suffix(".png"))
    from dsel_course.data import write_atomic
    if a.crossover: return crossover(a)
    outj = Path(a.out) / "select_stream.json"
    if outj.exists() and not a.force: raise SystemExit(f"{outj} exists: pass --force to replace it")
    sizes = [int(s) for s in a.sizes.split(",")]; tmp = Path(a.tmp)
    res = dict(machine=f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores", python=platform.python_version(),
               recipe=str(RECIPE.relative_to(ROOT)), loadavg_before=load(), proc_loadavg_before=open("/proc/loadavg").read().strip(), runs=[])
    workers = [int(w) for w in a.workers.split(",")]
    for n in sizes:
        paths = make_shards(tmp, n)
        for w in workers:
            lb = load(); print(f"recipe on {n:,} docs ({len(paths)} shard(s)), {w} worker(s), load {lb}", flush=True)
            r = run_recipe(paths, tmp / f"out-{n}.jsonl", w)
            r.update(n_docs=n, shards=len(paths), input_mb=round(sum(p.stat().st_size for p in paths) / 2**20, 1), load_before=lb, load_after=load(),
                     docs_per_s=round(n / r["seconds"]), docs_per_cpu_s=round(n / r["cpu_s"]))
            res["runs"].append(r); print(json.dumps(r), flush=True)
    for w in workers:
        rw = [r for r in res["runs"] if r["workers"] == w]
        if len(rw) > 1:
            a0, a1 = rw[0], rw[-1]; L = np.log(a1["n_docs"] / a0["n_docs"])
            res.setdefault("cost_exponent_wall", {})[str(w)] = round(float(np.log(a1["seconds"] / a0["seconds"]) / L), 3)
            res.setdefault("cost_exponent_cpu", {})[str(w)] = round(float(np.log(a1["cpu_s"] / a0["cpu_s"]) / L), 3)
    if not a.no_singles:
        print(f"single strategies on {sizes[0]:,} docs, load {load()}", flush=True)
        s = run_singles(make_shards(tmp, sizes[0])[0]); r0 = res["runs"][0]
        res["singles_first_size"] = s
        res["singles_sum_s"] = round(sum(v["seconds"] for v in s.values()), 2); res["singles_sum_cpu_s"] = round(sum(v["cpu_s"] for v in s.values()), 2)
        res["recipe_over_singles_wall"] = round(r0["seconds"] / res["singles_sum_s"], 3)
        res["recipe_over_singles_cpu"] = round(r0["cpu_s"] / res["singles_sum_cpu_s"], 3)
    res["loadavg_after"] = load(); res["proc_loadavg_after"] = open("/proc/loadavg").read().strip()
    res["targets"] = dict(peak_rss_mb_max=2048, docs_per_s_min=100_000, cost_exponent_max=1.05, recipe_over_singles_max=1.10)
    write_atomic(outj, json.dumps(res, indent=1))
    plot(res, outj.with_suffix(".png")); print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=1))


def plot(res, png):
    "docs/s (wall and per CPU-second), the process tree's peak PSS, and the recipe against the steps alone (when measured)."
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    singles = "singles_first_size" in res
    fig, ax = plt.subplots(1, 3 if singles else 2, figsize=(12 if singles else 8, 3.4)); runs = res["runs"]
    lab = [f"{r['n_docs'] / 1e6:g}M x{r.get('workers', 1)}" for r in runs]
    ax[0].bar(lab, [r["docs_per_s"] for r in runs], label="wall"); ax[0].bar(lab, [r["docs_per_cpu_s"] for r in runs], alpha=0.5, label="per CPU-s")
    ax[0].axhline(100_000, ls="--", c="k", lw=0.8); ax[0].set_title("documents / s (target 100k; xN: N workers)", fontsize=9); ax[0].legend(fontsize=7)
    ax[1].bar(lab, [r["peak_rss_mb"] for r in runs]); ax[1].axhline(2048, ls="--", c="k", lw=0.8); ax[1].set_title("peak memory of the process tree, MB (target 2048)", fontsize=9)
    if singles:
        s = res["singles_first_size"]; ax[2].bar(list(s), [v["cpu_s"] for v in s.values()]); ax[2].bar(["recipe"], [runs[0]["cpu_s"]], color="C3")
        ax[2].set_title(f"CPU s on {lab[0]}: steps alone vs recipe", fontsize=9); ax[2].tick_params(axis="x", labelsize=7, rotation=20)
    fig.suptitle(f"dsel select --recipe english_web (load {res['loadavg_before']} -> {res['loadavg_after']})", fontsize=9); fig.tight_layout()
    fig.savefig(png, dpi=110)


if __name__ == "__main__":
    main()
