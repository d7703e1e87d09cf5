"""Benchmark: one fine-tuning run of the same model (MiniLM-L6) on the same Pang & Lee sentences with

  ours             dsel_course.training.trainer.train_classifier (tokenise once, length-grouped dynamic padding, fused AdamW,
                   the last layer at [CLS] only: same logits and gradients, less compute), float32
  ours_hf_recipe   ours with Trainer's default recipe: no warm-up and no weight decay (ours: 10% warm-up, 0.01 decay);
                   it separates the recipe from the batching when the accuracies differ
  ours_bf16        the same with precision="bf16": bfloat16 autocast on the CPU (fast where the CPU has avx512_bf16/AMX)
  seed_loop        the seed documents' loop made runnable (tokenise per example per step, pad to max_length)
  hf_default       transformers.Trainer, default TrainingArguments (random batches, dynamic padding), float32
  hf_grouped       transformers.Trainer(train_sampling_strategy="group_by_length")  (transformers 5 spelling of
                   the old group_by_length=True, which TrainingArguments no longer accepts), float32
  hf_grouped_bf16  the same with bf16=True: the like-for-like comparison for ours_bf16

Shared by all: model, initial head (same seed), training examples, epochs, batch size, learning rate,
max_length; each keeps its own recipe otherwise (warm-up, clipping, weight decay). No method writes a
checkpoint (Trainer gets save_strategy="no", its only non-default setting besides the shared ones). Timed: from the texts in
hand to the trained model (tokenisation included, model loading excluded). Every model is then scored by
the same `evaluate` (float32) on the same held-out sentences. With several --seeds, every method runs once
per seed (methods interleaved, so a change in machine load hits all of them) and the JSON holds mean and
standard deviation; speed-ups are ratios of the mean rates. Each run records wall-clock seconds and the
process's CPU seconds (`time.process_time`, all its threads): on a shared machine the CPU-time rate moves
far less with other people's load than the wall-clock rate, so the goals are judged on it (both are in the
JSON, with the load average before every run). `--once seed_loop ...` runs the named methods at the
first seed only (the seed loop is 5x slower than the rest). `--profile-steps N` also times N training steps of ours, split into
collation, forward, backward, clipping, optimizer and the rest, with the [CLS]-only last layer off and on.

    python bench/bench_trainer.py --n 1000 --seeds 42 43 44 --threads 1 --once seed_loop --profile-steps 20   # trainer.json/png
    python bench/bench_trainer.py --n 1000 --seeds 42 43 44 --epochs 1 --out bench/results/epochs1
    python bench/bench_trainer.py --n 1000 --seeds 42 43 44 --threads 1 --methods ours_hf_recipe --out /tmp/trA   # then:
    python bench/bench_trainer.py --merge bench/results/trainer.json /tmp/trA/trainer.json --out bench/results
"""
from __future__ import annotations
import argparse, json, os, platform, sys, tempfile, time
from pathlib import Path
import numpy as np

METHODS = ("ours", "hf_grouped", "hf_default", "ours_hf_recipe", "ours_bf16", "hf_grouped_bf16", "seed_loop")   # run in this order at every seed
GOALS = {"seed_loop": 5.0, "hf_default": 1.6, "hf_grouped": 1.25}   # ours must be at least this many times faster


def sample(ds, n:int, seed:int):
    "A seeded random sample of n rows (order kept)."
    if n >= len(ds): return ds
    return ds.select(np.sort(np.random.default_rng(seed).choice(len(ds), n, replace=False)))


def run_hf(model, tok, train, a, seed:int, grouped:bool, bf16:bool, out_dir:str) -> None:
    "Fine-tune with transformers.Trainer; TrainingArguments left at their defaults except the shared settings."
    from transformers import Trainer, TrainingArguments
    tds = train.map(lambda b: tok(b["text"], truncation=True, max_length=a.max_length), batched=True, remove_columns=["text"])
    kw = dict(train_sampling_strategy="group_by_length") if grouped else {}
    if bf16:
        import torch
        kw.update(bf16=True, use_cpu=not torch.cuda.is_available())   # transformers wants use_cpu=True for bf16 on a CPU
    args = TrainingArguments(output_dir=out_dir, num_train_epochs=a.epochs, per_device_train_batch_size=a.batch_size,
                             learning_rate=a.lr, seed=seed, report_to="none", disable_tqdm=True,
                             save_strategy="no", **kw)   # no checkpoint written: ours writes none here either
    Trainer(model=model, args=args, train_dataset=tds, processing_class=tok).train()


def run_one(method:str, train, a, seed:int) -> tuple:
    "(trained model, tokenizer, seconds) for one method and training seed."
    from dsel_course.core import set_seed
    from dsel_course.models import load_classifier, load_tokenizer
    from dsel_course.training.trainer import train_classifier
    from dsel_course.labs.finetune import seed_loop_train
    set_seed(seed)
    model, tok = load_classifier("minilm", num_labels=2), load_tokenizer("minilm")
    cols = train.select_columns(["text", "label"])
    t0, c0 = time.perf_counter(), time.process_time()
    if method in ("ours", "ours_bf16", "ours_hf_recipe"):
        recipe = dict(warmup=0.0, weight_decay=0.0) if method == "ours_hf_recipe" else {}   # Trainer's defaults
        model, _ = train_classifier(cols, None, model=model, tokenizer=tok, epochs=a.epochs, lr=a.lr, batch_size=a.batch_size,
                                    max_length=a.max_length, seed=seed, progress=False, precision="bf16" if method == "ours_bf16" else "fp32", **recipe)
    elif method == "seed_loop":
        seed_loop_train(model, tok, list(cols["text"]), list(cols["label"]), epochs=a.epochs, batch_size=a.batch_size,
                        lr=a.lr, max_length=a.max_length, seed=seed)
    else:
        with tempfile.TemporaryDirectory() as d:
            run_hf(model, tok, cols, a, seed, grouped=method.startswith("hf_grouped"), bf16=method.endswith("_bf16"), out_dir=d)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return model.eval(), tok, secs, cpu


def profile_steps(train, a, steps:int, seed:int) -> dict:
    "Milliseconds of CPU time per training step of ours, by part, with the [CLS]-only last layer off and on (same batches)."
    import contextlib, torch
    from dsel_course.models import load_classifier, load_tokenizer
    from dsel_course.training import trainer as T
    tok = load_tokenizer("minilm")
    td = T.tokenize_dataset(train.select_columns(["text", "label"]), tok, a.max_length)
    ids, y, L = td["input_ids"][:], np.asarray(td["labels"]), np.asarray(td["length"])
    batches = T.length_grouped_batches(L, a.batch_size, seed)[:steps + 2]
    out = {}
    for cls in (False, True):
        torch.manual_seed(seed); m = load_classifier("minilm", num_labels=2, attn_implementation="sdpa").train()
        opt = T.make_optimizer(m, a.lr, 0.01)
        acc = dict(collate=0.0, forward=0.0, backward=0.0, clip=0.0, optimizer=0.0, rest=0.0, total=0.0)
        for i, b in enumerate(batches):
            t = [time.process_time()]
            x, mk = T.pad_batch([ids[j] for j in b], tok.pad_token_id); lab = torch.from_numpy(y[b]); t.append(time.process_time())
            with T.cls_only_forward(m, cls):
                loss = m(input_ids=x, attention_mask=mk, labels=lab).loss; t.append(time.process_time())
                loss.backward(); t.append(time.process_time())
            torch.nn.utils.clip_grad_norm_([p for p in m.parameters() if p.grad is not None], 1.0); t.append(time.process_time())
            opt.step(); t.append(time.process_time())
            opt.zero_grad(set_to_none=True); float(loss.detach()); t.append(time.process_time())
            if i >= 2:   # two warm-up steps
                for k, d in zip(("collate", "forward", "backward", "clip", "optimizer", "rest"), np.diff(t)): acc[k] += d
                acc["total"] += t[-1] - t[0]
        n = max(1, len(batches) - 2)
        r = {k: 1000 * v / n for k, v in acc.items()}
        r["outside_forward_backward_share"] = 1 - (acc["forward"] + acc["backward"]) / acc["total"]
        out["cls_only" if cls else "all_positions"] = {"ms_per_step": r, "steps": n}
    out["step_time_saved"] = 1 - out["cls_only"]["ms_per_step"]["total"] / out["all_positions"]["ms_per_step"]["total"]
    return out


def cpu_bf16() -> bool|None:
    "Whether the CPU has bfloat16 dot-product instructions (avx512_bf16 or AMX); None where /proc/cpuinfo is absent."
    info = Path("/proc/cpuinfo")
    if not info.exists(): return None
    flags = info.read_text()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def plot(res:dict, path:Path) -> None:
    "Bar chart of examples/s with the held-out accuracy on each bar."
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(res["methods"]); M = res["methods"]
    v, e = [M[m]["examples_per_cpu_s"] for m in names], [M[m]["examples_per_cpu_s_std"] for m in names]
    fig, ax = plt.subplots(figsize=(8, 3.3))
    bars = ax.bar(names, v, yerr=e, capsize=3, color=["tab:green" if m.startswith("ours") else "tab:gray" for m in names])
    for b, m in zip(bars, names):
        ax.text(b.get_x() + b.get_width()/2, b.get_height(), f"acc {M[m]['accuracy']:.3f}\n±{M[m]['accuracy_std']:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("training examples / CPU-second"); ax.margins(y=0.25)
    ax.set_title(f"MiniLM-L6, {res['config']['n']} Pang & Lee sentences, {res['config']['epochs']} epoch(s), {res['device']}, "
                 f"{res['threads']} thread(s), mean ± sd over seeds {res['config']['seeds']}", fontsize=9)
    plt.setp(ax.get_xticklabels(), fontsize=8)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png"); fig.savefig(tmp, dpi=110); os.replace(tmp, path)


def summarise(res:dict, out) -> dict:
    "Aggregate the runs so far (means, paired speed-ups, goals), write trainer.json and trainer.png into `out`; after every run."
    for m, runs in res["runs"].items():
        if not runs: continue
        agg = {k: float(np.mean([r[k] for r in runs])) for k in ("seconds", "cpu_seconds", "examples_per_s", "examples_per_cpu_s", "tokens_per_s", "accuracy", "macro_f1", "ece")}
        agg.update({f"{k}_std": float(np.std([r[k] for r in runs])) for k in ("examples_per_s", "examples_per_cpu_s", "accuracy")}, n_runs=len(runs))
        res["methods"][m] = agg
    def goals(ours_key, targets):
        "Speed-up and accuracy of ours against each method, on the seeds both ran (paired)."
        out = {}
        for m, g in targets.items():
            if m not in res["methods"] or ours_key not in res["methods"]: continue
            seeds = {r["seed"] for r in res["runs"][m]} & {r["seed"] for r in res["runs"][ours_key]}
            if not seeds: continue
            mean = lambda key, k: float(np.mean([r[k] for r in res["runs"][key] if r["seed"] in seeds]))
            sp = mean(ours_key, "examples_per_cpu_s") / mean(m, "examples_per_cpu_s")
            out[m] = dict(target=g, seeds=sorted(seeds), speedup=sp, speedup_wall=mean(ours_key, "examples_per_s") / mean(m, "examples_per_s"),
                          speed_met=sp >= g, accuracy_ours=mean(ours_key, "accuracy"), accuracy_other=mean(m, "accuracy"),
                          accuracy_met=mean(ours_key, "accuracy") >= mean(m, "accuracy") - 0.01)
        return out
    if "ours" in res["methods"]:
        res["speedup"] = {m: res["methods"]["ours"]["examples_per_cpu_s"] / v["examples_per_cpu_s"] for m, v in res["methods"].items() if m != "ours" and m != "ours_hf_recipe"}
        res["speedup_wall"] = {m: res["methods"]["ours"]["examples_per_s"] / v["examples_per_s"] for m, v in res["methods"].items() if m != "ours" and m != "ours_hf_recipe"}
        res["goals"] = goals("ours", GOALS)   # float32 against the float32 baselines: like for like
    if "ours_hf_recipe" in res["methods"]:   # the accuracy gap: is it the recipe (warm-up, decay) or the batching?
        acc = ("seeds", "accuracy_ours", "accuracy_other", "accuracy_met")   # accuracy only: it may come from another run than the references
        res["accuracy_hf_recipe"] = {m: {k: v[k] for k in acc} for m, v in goals("ours_hf_recipe", {**GOALS, "ours": 1.0}).items()}
    if "ours_bf16" in res["methods"]:
        res["goals_bf16"] = goals("ours_bf16", {**GOALS, "hf_grouped_bf16": GOALS["hf_grouped"]})
    if "merged_from" not in res: res["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    res["note"] = ("speedup and goals: ratios of examples per CPU-second (process_time, all threads); speedup_wall: of wall-clock "
                   "examples/s (inflated by other load on a shared machine); mean over the seeds (each method once per seed, interleaved); accuracy_met allows 0.01 "
                   "below the other method; 'goals' compares float32 with float32, 'goals_bf16' our bf16 autocast with the "
                   "float32 defaults and with Trainer(bf16=True)")
    from dsel_course.data import write_atomic
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    write_atomic(out/"trainer.json", json.dumps(res, indent=1, default=float))
    plot(res, out/"trainer.png")
    return res


def merge(paths:list, out) -> dict:
    "One result from runs of the same configuration made by concurrent processes (e.g. the slow arms at one seed, the goal pair at the others)."
    parts = [json.loads(Path(p).read_text()) for p in paths]
    keys = ("n", "eval", "epochs", "batch_size", "lr", "max_length", "data_seed")
    if any({k: p["config"][k] for k in keys} != {k: parts[0]["config"][k] for k in keys} for p in parts): raise ValueError("the runs to merge differ in their configuration: merge runs of one configuration only")
    res = json.loads(json.dumps(parts[0])); res["runs"] = {}
    for p in parts:
        for m, runs in p["runs"].items(): res["runs"].setdefault(m, []).extend(runs)
    res["config"]["seeds"] = sorted({r["seed"] for runs in res["runs"].values() for r in runs})
    res["merged_from"] = [dict(path=str(pth), seeds=p["config"]["seeds"], methods=list(p["runs"]), load_average=p["load_average"],
                               load_average_end=p.get("load_average_end")) for pth, p in zip(paths, parts)]
    res["complete"] = all(p.get("complete", False) for p in parts)
    res["methods"] = {}
    res["load_average_end"] = max((p.get("load_average_end") or [0]) for p in parts)
    return summarise(res, out)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="training sentences")
    ap.add_argument("--eval", type=int, default=500, help="held-out sentences for accuracy")
    ap.add_argument("--epochs", type=int, default=3, help="the documents train 3 epochs; at 1 epoch (31 steps at 5e-5) no decaying "
                    "schedule has left chance level, so accuracies compare noise (bench/results/epochs1)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-length", type=int, default=128, help="truncation for all; the seed loop pads every example to it")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (1: robust on a shared machine, where 2 OpenMP threads on 2 busy cores stall each other)")
    ap.add_argument("--once", nargs="*", default=[], choices=METHODS, help="methods run at the first seed only (the slow seed loop, say)")
    ap.add_argument("--profile-steps", type=int, default=0, help="also profile this many training steps of ours (0: no profile)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[42], help="training seeds (init of the head, dropout, batch order)")
    ap.add_argument("--data-seed", type=int, default=42, help="seed of the split and of the training/held-out samples")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--out", default=str(Path(__file__).parent/"results"))
    ap.add_argument("--merge", nargs="+", default=None, help="merge these trainer.json files (same configuration, concurrent processes) into --out, then stop")
    a = ap.parse_args(argv)
    if a.merge: return merge(a.merge, a.out)
    import torch
    torch.set_num_threads(a.threads)
    from dsel_course.core import get_device, pkg_version
    from dsel_course.data import load_corpus, split_dataset, write_atomic
    from dsel_course.training.trainer import evaluate, tokenize_dataset
    from dsel_course.models import load_tokenizer
    dd = split_dataset(load_corpus("pang_lee"), seed=a.data_seed)
    train, held = sample(dd["train"], a.n, a.data_seed), sample(dd["test"], a.eval, a.data_seed)
    real_tokens = int(np.sum(tokenize_dataset(train, load_tokenizer("minilm"), a.max_length)["length"])) * a.epochs
    dev = get_device()
    res = dict(benchmark="trainer", device=dev, gpu=torch.cuda.get_device_name(0) if dev.startswith("cuda") else None,
               threads=a.threads, cpu_count=os.cpu_count(), platform=platform.platform(terse=True),
               load_average=list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
               versions={p: pkg_version(p) for p in ("torch", "transformers", "accelerate", "datasets")},
               config=dict(n=len(train), eval=len(held), epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, max_length=a.max_length,
                           seeds=a.seeds, data_seed=a.data_seed, once=a.once),
               cpu_bf16_instructions=cpu_bf16(),
               runs={m: [] for m in a.methods}, methods={}, complete=False)
    if a.profile_steps: res["step_profile"] = profile_steps(train, a, a.profile_steps, a.seeds[0]); print(json.dumps(res["step_profile"], indent=1), flush=True)
    for si, seed in enumerate(a.seeds):
        for m in a.methods:
            if m in a.once and si > 0: continue
            print(f"== {m}, seed {seed}", flush=True)
            load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
            model, tok, secs, cpu = run_one(m, train, a, seed)
            r = evaluate(model, tok, held, max_length=a.max_length, precision="fp32")
            run = dict(seed=seed, seconds=secs, cpu_seconds=cpu, examples_per_s=len(train) * a.epochs / secs,
                       examples_per_cpu_s=len(train) * a.epochs / cpu, tokens_per_s=real_tokens / secs,
                       accuracy=r["accuracy"], macro_f1=r["macro_f1"], ece=r["ece"], load_average=load)
            res["runs"][m].append(run)
            summarise(res, a.out)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in run.items()}, flush=True)
            del model
    res["complete"] = True; summarise(res, a.out)
    print(json.dumps({k: res[k] for k in ("speedup", "speedup_wall", "goals", "goals_bf16") if k in res}, indent=1, default=float))
    return res


if __name__ == "__main__":
    main()
