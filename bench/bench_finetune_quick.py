"""Benchmark: a quick-mode fine-tune of MiniLM-L6 on Pang & Lee that learns, on 2 CPU threads.

The split is chapter 4's quick split (`task_splits("pang_lee", mode="quick")`: 2,000 training,
1,000 validation, 1,000 test sentences, both classes in each). Three parts, all in one JSON:

  baselines  TF-IDF (1-2 grams) + logistic regression, and the frozen-MiniLM probe (mean-pooled
             sentence embeddings + logistic regression), trained on the same 2,000 sentences and
             scored on the validation and the test split
  sweep      fine-tuning settings (learning rate x warm-up x which layers train / layer-wise
             learning-rate decay, at a fixed number of optimiser steps), seed 42 (and more seeds
             where asked), each scored on the VALIDATION split: the setting is chosen there
  final      the chosen setting over several seeds, scored on the TEST split beside the baselines
  curve      chapter 4b's fine-tuned budget curve at the chosen setting (the library's quick default):
             the noisy scenario (20% flipped labels) of a pool of half the training split, random vs
             MiniLM loss trimming at --budgets, each seed of --seeds, scored on the whole test split;
             the per-run rows are stored, so the chapter recomputes its verdict from them

No fine-tune chooses a checkpoint (valid_ds=None: the last state, after the learning rate has
decayed to 0), so the validation split is only used to choose the setting. Each fine-tune records
wall-clock seconds (model loading, tokenisation and training; the scoring is not timed), the
process's CPU seconds (`time.process_time`, all threads; far less sensitive to other people's load
on a shared machine) and `/proc/loadavg` before and after. torch.set_num_threads(--threads).

    python bench/bench_finetune_quick.py --part baselines sweep --seeds 42
    python bench/bench_finetune_quick.py --part final --setting <name> --seeds 42 43 44
    python bench/bench_finetune_quick.py --part curve --seeds 0 1 2 --budgets 0.5 1.0
    python bench/bench_finetune_quick.py --plot-only

Results are merged into bench/results/finetune_quick.json (a run already there for the same
setting and seed is kept, not repeated; --redo repeats it) and plotted into finetune_quick.png.
"""
from __future__ import annotations
import argparse, json, os, platform, time
from pathlib import Path
import numpy as np

OUT = Path(__file__).parent/"results"

# name -> train_classifier settings; every fine-tune uses batch 32 and max_length 64 (99% of the
# sentences are <= 53 tokens, the longest 66), steps = optimiser steps (epochs follow from them)
BASE = dict(batch_size=32, max_length=64)
SWEEP = {
    # the documents' recipe and the trainer's old quick default: lr 5e-5, one epoch (63 steps)
    "full_lr5e-5_w0.1_s63":   dict(strategy="full", lr=5e-5, warmup=0.1, steps=63),
    "full_lr5e-5_w0.1_s126":  dict(strategy="full", lr=5e-5, warmup=0.1, steps=126),
    "full_lr1e-4_w0.1_s126":  dict(strategy="full", lr=1e-4, warmup=0.1, steps=126),
    "full_lr2e-4_w0.1_s126":  dict(strategy="full", lr=2e-4, warmup=0.1, steps=126),
    "full_lr1e-4_w0.3_s126":  dict(strategy="full", lr=1e-4, warmup=0.3, steps=126),
    "full_lr2e-4_w0.1_s63":   dict(strategy="full", lr=2e-4, warmup=0.1, steps=63),
    "full_lr2e-4_w0.3_s126":  dict(strategy="full", lr=2e-4, warmup=0.3, steps=126),
    "llrd0.8_lr2e-4_w0.1_s126": dict(strategy="full", lr=2e-4, warmup=0.1, steps=126, layer_decay=0.8),
    "llrd0.8_lr3e-4_w0.1_s126": dict(strategy="full", lr=3e-4, warmup=0.1, steps=126, layer_decay=0.8),
    "last3_lr2e-4_w0.1_s189": dict(strategy="last_k", k=3, lr=2e-4, warmup=0.1, steps=189),
    "last3_lr5e-4_w0.1_s189": dict(strategy="last_k", k=3, lr=5e-4, warmup=0.1, steps=189),
}


def loadavg() -> list|None:
    try: return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError: return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def splits():
    from dsel_course.labs.finetune import task_splits
    return task_splits("pang_lee", mode="quick")


def finetune(dd, settings:dict, seed:int) -> dict:
    "One fine-tune (timed) and its scores on valid and test (not timed)."
    from dsel_course.training.trainer import train_classifier, evaluate
    from dsel_course.models import load_tokenizer
    kw = {**BASE, **settings}
    l0, t0, c0 = loadavg(), time.perf_counter(), time.process_time()
    model, h = train_classifier(dd["train"], None, "minilm", seed=seed, progress=False, precision="fp32", **kw)
    secs, cpu, l1 = time.perf_counter() - t0, time.process_time() - c0, loadavg()
    tok = load_tokenizer("minilm")
    sc = {s: evaluate(model, tok, dd[s], max_length=kw["max_length"], precision="fp32") for s in ("valid", "test")}
    import torch
    return dict(seed=seed, threads=torch.get_num_threads(), seconds=secs, cpu_seconds=cpu, train_seconds=h["train_seconds"], steps=h.get("steps", h["epochs"] * -(-h["n_train"] // h["batch_size"])),
                epochs=h["epochs"], trainable_params=h["trainable_params"], load_before=l0, load_after=l1,
                **{f"{s}_{m}": float(sc[s][m]) for s in sc for m in ("accuracy", "macro_f1")})


def step_time(dd, steps:int=12, batch_size:int=32, max_length:int=64) -> dict:
    "Seconds (wall and CPU) per training step of full fine-tuning, median over the steps after two warm-up steps, at the current thread count."
    import torch
    from dsel_course.models import load_tokenizer, load_classifier
    from dsel_course.training import trainer as T
    tok = load_tokenizer("minilm")
    td = T.tokenize_dataset(dd["train"], tok, max_length)
    ids, y, L = td["input_ids"][:], np.asarray(td["labels"]), np.asarray(td["length"])
    torch.manual_seed(0); m = load_classifier("minilm", num_labels=2, attn_implementation="sdpa").train()
    opt = T.make_optimizer(m, 1e-4)
    l0, wall, cpu = loadavg(), [], []
    for b in T.length_grouped_batches(L, batch_size, 0)[:steps + 2]:
        t, c = time.perf_counter(), time.process_time()
        x, mk = T.pad_batch([ids[j] for j in b], tok.pad_token_id)
        with T.cls_only_forward(m):
            loss = m(input_ids=x, attention_mask=mk, labels=torch.from_numpy(y[b])).loss
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
        wall.append(time.perf_counter() - t); cpu.append(time.process_time() - c)
    return dict(threads=torch.get_num_threads(), steps=steps, batch_size=batch_size, max_length=max_length,
                wall_s_per_step=float(np.median(wall[2:])), cpu_s_per_step=float(np.median(cpu[2:])), load_before=l0, load_after=loadavg())


def baselines(dd) -> dict:
    "TF-IDF + LR and the frozen-MiniLM probe on the same split (seed 42; both are deterministic given the data)."
    from dsel_course.labs.budget import tfidf_lr_trainer, embed_lr_trainer
    out = {}
    for name, tr in (("tfidf_lr", tfidf_lr_trainer), ("frozen_minilm_probe", embed_lr_trainer)):
        l0, t0, c0 = loadavg(), time.perf_counter(), time.process_time()
        te = tr(dd["train"], None, dd["test"], 42, mode="quick")
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0   # the probe's time includes embedding train + test once
        va = tr(dd["train"], None, dd["valid"], 42, mode="quick")
        out[name] = dict(seconds=secs, cpu_seconds=cpu, load_before=l0, load_after=loadavg(),
                         test_accuracy=te["accuracy"], test_macro_f1=te["macro_f1"], valid_accuracy=va["accuracy"], valid_macro_f1=va["macro_f1"])
        print(name, {k: v for k, v in out[name].items() if "accuracy" in k}, flush=True)
    return out


def curve(dd, seeds, budgets) -> list:
    "44's fine-tuned budget curve (noisy pool, random vs embed_loss_trim) at the library's quick default; one row per run."
    from datasets import DatasetDict
    from dsel_course.labs.budget import run_budget_curve, finetune_trainer
    from dsel_course.labs.finetune import _sample
    from dsel_course.core import size
    pool = _sample(dd["train"], size("train_examples", "quick") // 2, 42)
    d2 = DatasetDict(train=pool, test=dd["test"])
    rows = []
    for seed in seeds:   # one seed at a time, so that every finished seed is saved
        l0, c0 = loadavg(), time.process_time()
        r = run_budget_curve(d2, ["random", "embed_loss_trim"], budgets, finetune_trainer(model_name="minilm"), [seed], "noisy", mode="quick")
        r["load_before"] = [l0] * len(r); r["cpu_seconds_seed"] = time.process_time() - c0
        rows += r.to_dict("records")
        yield rows


def summarise(res:dict) -> dict:
    "Mean, sd (ddof=1) and standard error per setting, for valid and test accuracy and for the times."
    res["summary"] = {}
    for name, runs in res["runs"].items():
        s = dict(n=len(runs), seeds=[r["seed"] for r in runs], settings=res["settings"].get(name))
        for k in ("valid_accuracy", "test_accuracy", "seconds", "cpu_seconds"):
            v = np.array([r[k] for r in runs], float)
            s[k] = float(v.mean()); s[k + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else None
            s[k + "_se"] = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None
        s["max_seconds"] = float(max(r["seconds"] for r in runs))
        res["summary"][name] = s
    return res


def plot(res:dict, path:Path) -> None:
    "Accuracy vs CPU-seconds: the sweep (validation), the chosen setting per seed and the baselines (test), and 44's curve if present."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    has_curve = bool(res.get("curve"))
    fig, axs = plt.subplots(1, 3 if has_curve else 2, figsize=(15 if has_curve else 11, 4))
    ax = axs[0]
    for name, runs in res["runs"].items():
        ax.scatter([r["cpu_seconds"] for r in runs], [r["valid_accuracy"] for r in runs], s=18, label=name)
    for b, v in res.get("baselines", {}).items(): ax.axhline(v["valid_accuracy"], ls=":", c="k" if b == "tfidf_lr" else "gray", lw=1)
    ax.set_xlabel("CPU-seconds per fine-tune (load + tokenise + train)"); ax.set_ylabel("validation accuracy")
    ax.set_title("sweep on validation (dotted: TF-IDF black, probe gray)", fontsize=8); ax.legend(fontsize=6, loc="lower right")
    ax = axs[1]; ch = res.get("chosen")
    for key, c, m in ((ch, "tab:green", "o"), (res.get("old_default"), "tab:red", "x")):
        if key and key in res["runs"]:
            rs = res["runs"][key]
            ax.scatter([r["cpu_seconds"] for r in rs], [r["test_accuracy"] for r in rs], c=c, marker=m, label=f"{key} (per seed)")
    for b, v in res.get("baselines", {}).items():
        ax.scatter([v["cpu_seconds"]], [v["test_accuracy"]], marker="s", c="k" if b == "tfidf_lr" else "gray", label=f"{b} (fit, embedding included)")
    thr = sorted({r.get("threads", res["threads"]) for rs in res["runs"].values() for r in rs})
    ax.set_xlabel("CPU-seconds"); ax.set_ylabel("test accuracy")
    ax.set_title(f"test split ({res['data']['test']} sentences), fine-tunes on {thr} thread(s)", fontsize=8); ax.legend(fontsize=7)
    if has_curve:
        import pandas as pd
        c = pd.DataFrame(res["curve"]).groupby(["strategy", "budget"])["accuracy"].agg(["mean", "std"]).reset_index()
        ax = axs[2]
        for st, g in c.groupby("strategy"): ax.errorbar(g["budget"], g["mean"], yerr=g["std"], marker="o", capsize=3, label=st)
        ax.set_xlabel("budget (share of a 1,000-sentence pool, 20% labels flipped)"); ax.set_ylabel("test accuracy")
        ax.set_title(f"44's fine-tuned curve at the quick default, seeds {sorted({r['seed'] for r in res['curve']})}", fontsize=8); ax.legend(fontsize=7)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png"); fig.savefig(tmp, dpi=110); os.replace(tmp, path)


def save(res:dict, out:Path) -> None:
    from dsel_course.data import write_atomic
    summarise(res); out.mkdir(parents=True, exist_ok=True)
    write_atomic(out/"finetune_quick.json", json.dumps(res, indent=1, default=float))
    plot(res, out/"finetune_quick.png")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", nargs="*", default=[], choices=["baselines", "sweep", "final", "curve", "steptime"])
    ap.add_argument("--budgets", type=float, nargs="+", default=[0.5, 1.0], help="curve: budgets (shares of the pool)")
    ap.add_argument("--only", nargs="*", default=None, help="sweep: only these setting names")
    ap.add_argument("--setting", default=None, help="final: the chosen setting (a SWEEP name)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--redo", action="store_true")
    ap.add_argument("--plot-only", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    out = Path(a.out); path = out/"finetune_quick.json"
    res = json.loads(path.read_text()) if path.exists() else None
    if a.plot_only: save(res, out); return res
    import torch
    torch.set_num_threads(a.threads)
    from dsel_course.core import pkg_version
    dd = splits()
    if res is None:
        res = dict(benchmark="finetune_quick", model="minilm (all-MiniLM-L6-v2)", corpus="pang_lee", device="cpu",
                   threads=a.threads, cpu_count=os.cpu_count(), platform=platform.platform(terse=True),
                   versions={p: pkg_version(p) for p in ("torch", "transformers", "datasets", "scikit-learn")},
                   data={k: len(v) for k, v in dd.items()}, base=BASE, settings={}, runs={}, baselines={},
                   load_average_start=loadavg(), old_default="full_lr5e-5_w0.1_s63")
    res["threads"] = a.threads
    if "baselines" in a.part: res["baselines"] = baselines(dd); save(res, out)
    if "steptime" in a.part:
        r = step_time(dd); res.setdefault("step_time", []).append(r); save(res, out); print(r, flush=True)
    todo = []
    if "sweep" in a.part: todo += [n for n in (a.only or SWEEP) if n in SWEEP]   # in the order given
    if "final" in a.part:
        if a.setting not in SWEEP: raise SystemExit(f"--setting must be one of {list(SWEEP)}")
        res["chosen"] = a.setting; todo += [a.setting]
    for name in dict.fromkeys(todo):
        res["settings"][name] = {**BASE, **SWEEP[name]}
        for seed in a.seeds:
            done = [r for r in res["runs"].get(name, []) if r["seed"] == seed]
            if done and not a.redo: continue
            r = finetune(dd, SWEEP[name], seed)
            res["runs"][name] = [x for x in res["runs"].get(name, []) if x["seed"] != seed] + [r]
            print(name, {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
            save(res, out)
    if "curve" in a.part:
        from dsel_course.core import size
        from dsel_course.training.trainer import TrainConfig
        res["curve_setting"] = {k: v for k, v in vars(TrainConfig().resolve("quick")).items() if k in ("lr", "steps", "warmup", "layer_decay", "batch_size", "max_length", "strategy", "epochs")}
        old = [r for r in res.get("curve", []) if r["seed"] not in a.seeds] if not a.redo else []
        for rows in curve(dd, a.seeds, a.budgets):
            res["curve"] = old + rows; save(res, out)
            print("curve rows:", len(res["curve"]), flush=True)
    res["load_average_end"] = loadavg(); save(res, out)
    return res


if __name__ == "__main__":
    main()
