"""Streamed `dsel select --recipe` at corpus scale: peak memory, documents per second, cost growth, and the recipe
against the four single-strategy calls.

    python bench/bench_select_stream.py [--sizes 1000000,10000000] [--tmp /tmp/dsel_stream_bench] [--out bench/results] [--force]

Documents: bench/bench_select.py's generator (three windows of 3-8 words from the course's mixed pool, 2% exact copies
and 2% near-duplicates planted), written as JSON-lines shards of 1,000,000 documents each (seed = shard number) under
--tmp, never in the repository. The recipe is the shipped dsel_course/assets/recipes/english_web.yaml
(exact dedup -> quality rules -> near dedup -> DSIR 10% towards the bundled Wikipedia summaries).

Measured, each run in a fresh process (`dsel_course.stream.select_stream` on the shards' glob):
- wall and CPU seconds end to end (read, score, write), docs/s, the process's peak resident memory (VmHWM);
- the cost exponent between the two sizes: log(t2/t1) / log(n2/n1), on wall and on CPU seconds;
- on the first size: each of the four steps alone through `select` on the documents in memory (its scoring time only,
  the documents already loaded), summed, against the recipe's streamed end-to-end time.
The machine's load average is recorded before and after (the machine is shared); CPU seconds are the figure to compare.
Writes bench/results/select_stream.json and select_stream.png (atomically; an existing JSON only with --force).
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
ins, out, recipe = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
t0, c0 = time.perf_counter(), time.process_time()
side = select_stream(ins, out, recipe, force=True)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
hwm = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps(dict(seconds=wall, cpu_s=cpu, peak_rss_mb=hwm, n_rows=side["n_rows"], n_kept=side["n_kept"],
                      n_after_filters=side["n_after_filters"], dropped=side["dropped"], stages_s=side["stages_s"])))
"""


def run_recipe(paths, out):
    "The recipe in a fresh process (so its peak memory is its own); returns its measurements."
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", CHILD, json.dumps([str(p) for p in paths]), str(out), str(RECIPE)], capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"recipe run failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000000,10000000"); ap.add_argument("--tmp", default="/tmp/dsel_stream_bench")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results")); ap.add_argument("--force", action="store_true")
    ap.add_argument("--no-singles", action="store_true", help="skip the four single-strategy runs")
    a = ap.parse_args()
    from dsel_course.data import write_atomic
    outj = Path(a.out) / "select_stream.json"
    if outj.exists() and not a.force: raise SystemExit(f"{outj} exists: pass --force to replace it")
    sizes = [int(s) for s in a.sizes.split(",")]; tmp = Path(a.tmp)
    res = dict(machine=f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores", python=platform.python_version(),
               recipe=str(RECIPE.relative_to(ROOT)), loadavg_before=load(), proc_loadavg_before=open("/proc/loadavg").read().strip(), runs=[])
    for n in sizes:
        paths = make_shards(tmp, n)
        print(f"recipe on {n:,} docs ({len(paths)} shard(s)), load {load()}", flush=True)
        r = run_recipe(paths, tmp / f"out-{n}.jsonl")
        r.update(n_docs=n, shards=len(paths), input_mb=round(sum(p.stat().st_size for p in paths) / 2**20, 1), load_after=load(),
                 docs_per_s=round(n / r["seconds"]), docs_per_cpu_s=round(n / r["cpu_s"]))
        res["runs"].append(r); print(json.dumps(r), flush=True)
    if len(res["runs"]) > 1:
        a0, a1 = res["runs"][0], res["runs"][-1]; L = np.log(a1["n_docs"] / a0["n_docs"])
        res["cost_exponent_wall"] = round(float(np.log(a1["seconds"] / a0["seconds"]) / L), 3)
        res["cost_exponent_cpu"] = round(float(np.log(a1["cpu_s"] / a0["cpu_s"]) / L), 3)
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
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.4)); runs = res["runs"]; lab = [f"{r['n_docs'] / 1e6:g}M" for r in runs]
    ax[0].bar(lab, [r["docs_per_s"] for r in runs], label="wall"); ax[0].bar(lab, [r["docs_per_cpu_s"] for r in runs], alpha=0.5, label="per CPU-s")
    ax[0].axhline(100_000, ls="--", c="k", lw=0.8); ax[0].set_title("documents / s (target 100k)"); ax[0].legend(fontsize=7)
    ax[1].bar(lab, [r["peak_rss_mb"] for r in runs]); ax[1].axhline(2048, ls="--", c="k", lw=0.8); ax[1].set_title("peak RSS, MB (target 2048)")
    if "singles_first_size" in res:
        s = res["singles_first_size"]; ax[2].bar(list(s), [v["cpu_s"] for v in s.values()]); ax[2].bar(["recipe"], [runs[0]["cpu_s"]], color="C3")
        ax[2].set_title(f"CPU s on {lab[0]}: steps alone vs recipe"); ax[2].tick_params(axis="x", labelsize=7, rotation=20)
    fig.suptitle(f"dsel select --recipe english_web (load {res['loadavg_before']} -> {res['loadavg_after']})", fontsize=9); fig.tight_layout()
    fig.savefig(Path(a.out) / "select_stream.png", dpi=110); print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
