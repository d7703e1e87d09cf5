"""Throughput of the pre-training selection strategies on N short documents (default 1,000,000).

    python bench/bench_select.py [--n 1000000] [--datasketch-docs 20000] [--out bench/results]

Writes bench/results/select.json and bench/results/select.png (both atomically). Documents are
synthesised from the course's real mixed pool (dsel_course.select.pretrain_pool): each is two random
three word windows (3-8 words each) from three random pool documents, then 2% exact copies (re-formatted) and
2% near-duplicates (dsel_course.select.perturb) of earlier documents are planted.

Measured (single process unless stated):
- near-dup dedup, vectorised (char 5-gram shingles, 128-permutation MinHash, 32x4 LSH, J >= 0.5):
  docs/s end to end, and recall on the planted near-duplicates / exact copies;
- datasketch per-document MinHash (same shingles, num_perm=128) + MinHashLSH insertion: measured on
  --datasketch-docs documents and EXTRAPOLATED linearly to N (stated in the JSON), with its recall on
  planted pairs inside that subsample;
- hashed uni+bigram importance weights (DSIR, 10,000 buckets): raw counts + per-document log weights, docs/s;
- Gopher/C4-style rule filters (quality_reasons_batch): docs/s in one process, and with 2 forked
  processes (the machine's cores; same reasons asserted).
"""
import argparse, json, os, sys, tempfile, time, platform
from pathlib import Path
import numpy as np

def write_atomic(path: Path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f: f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp): os.unlink(tmp)
        raise

def synth_docs(n, seed=0):
    "n short documents from the pool, with planted exact copies and near-duplicates (dup_of, kind)."
    from dsel_course.labs.pretrain import pretrain_pool, perturb, reformat
    from dsel_course.selection.protocol import texts_of
    pool, _ = pretrain_pool(per_source=5000, seed=seed, frac_exact=0.0, frac_near=0.0)
    words = [t.split() for t in texts_of(pool)]
    words = [w for w in words if len(w) >= 4]
    rng = np.random.default_rng(seed)
    n_ex, n_nr = int(0.02 * n), int(0.02 * n)
    n_base = n - n_ex - n_nr
    src_doc = rng.integers(len(words), size=(n_base, 3)); lens = rng.integers(3, 9, size=(n_base, 3)); u = rng.random((n_base, 3))
    docs = []
    for i in range(n_base):   # three windows of 3-8 words from three random pool documents
        parts = []
        for j in range(3):
            w = words[src_doc[i, j]]; L = lens[i, j]; s0 = int(u[i, j] * max(1, len(w) - L + 1)); parts += w[s0:s0 + L]
        docs.append(" ".join(parts))
    src = rng.choice(n_base, size=n_ex + n_nr, replace=False)
    copies = [reformat(docs[j], rng) for j in src[:n_ex]] + [perturb(docs[j], rng) for j in src[n_ex:]]
    kind = np.array([""] * n_base + ["exact"] * n_ex + ["near"] * n_nr)
    dup_of = np.r_[np.full(n_base, -1), src]
    # copies go after their originals: place each copy at a random position after the whole base set
    order = np.r_[np.arange(n_base), n_base + rng.permutation(n_ex + n_nr)]
    docs = docs + copies
    return [docs[i] for i in order], dup_of[order], kind[order]

_DOCS = None   # the documents, inherited by forked worker processes (nothing is pickled but batch bounds and results)

def _rule_codes(bounds):
    "Worker: index into RULE_ORDER (+1; 0 = kept) of the first failed rule for docs[a:b]."
    from dsel_course.selection.quality import quality_reasons_batch, RULE_ORDER
    r = quality_reasons_batch({"text": _DOCS[bounds[0]:bounds[1]]})
    code = {name: i for i, name in enumerate(("",) + RULE_ORDER)}
    return np.fromiter((code[x] for x in r), np.uint8, count=len(r))

def rules_in_processes(docs, batch, procs):
    "First failed rule per document, with `procs` forked worker processes (the 2-core machine's both cores)."
    global _DOCS
    import multiprocessing as mp
    from dsel_course.selection.quality import RULE_ORDER
    _DOCS = docs
    with mp.get_context("fork").Pool(procs) as pool:
        codes = np.concatenate(pool.map(_rule_codes, [(s, min(s + batch, len(docs))) for s in range(0, len(docs), batch)]))
    return np.array(("",) + RULE_ORDER, dtype=object)[codes]

CPU = {}
def timed(fn, key=None):
    "Run fn; return (result, wall seconds); the process CPU seconds go to CPU[key] (robust to other load on the machine)."
    c, t = time.process_time(), time.perf_counter(); out = fn(); wall = time.perf_counter() - t
    if key: CPU[key] = time.process_time() - c
    return out, wall

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of documents")
    ap.add_argument("--datasketch-docs", type=int, default=20_000, help="subsample measured with datasketch (extrapolated to --n)")
    ap.add_argument("--batch", type=int, default=50_000, help="documents per batch")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"), help="output folder")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)
    if args.n < 1000: sys.exit("--n must be >= 1000: the planted duplicates are 2% + 2% of it")
    import datasets; datasets.disable_progress_bars()
    from dsel_course.selection.dedup import shingle, minhash_signatures, near_duplicate_of
    from dsel_course.selection.quality import quality_reasons_batch
    from dsel_course.selection.importance import feature_counts, log_ratio_batch, ImportanceResample
    from dsel_course.labs.pretrain import pretrain_pool
    from dsel_course.selection.protocol import texts_of
    from dsel_course.text import char_table, _char_hash_table
    char_table(); _char_hash_table()  # build the lookup tables once, outside the timings
    res = dict(n_docs=args.n, timing_note="docs_per_s uses wall time; docs_per_cpu_s uses this process's CPU time, which is robust to other load on a shared machine", machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(), python=platform.python_version(),
               numpy=np.__version__), single_process="every measurement except rule_filters_processes")
    (docs, dup_of, kind), t_syn = timed(lambda: synth_docs(args.n, args.seed))
    res["synthesis_s"] = round(t_syn, 2); res["mean_chars_per_doc"] = float(np.mean([len(d) for d in docs[:100_000]]))
    print(f"synthesised {args.n:,} documents in {t_syn:.1f} s (mean {res['mean_chars_per_doc']:.0f} chars)", flush=True)
    B = args.batch

    # 1. near-dup dedup, vectorised
    def sigs():
        return np.concatenate([minhash_signatures(shingle(docs[s:s + B], "char", 5), 128) for s in range(0, args.n, B)])
    sig, t_sig = timed(sigs, "sig")
    first, t_lsh = timed(lambda: near_duplicate_of(sig, threshold=0.5, bands=32, rows=4), "lsh")
    dropped = first != np.arange(args.n)
    rec_near = float(dropped[kind == "near"].mean()); rec_exact = float(dropped[kind == "exact"].mean())
    orig_dropped = float(dropped[kind == ""].mean())
    t_nd = t_sig + t_lsh
    res["near_dedup_vectorised"] = dict(num_perm=128, bands=32, rows=4, threshold=0.5, shingles="char 5-grams",
        signatures_s=round(t_sig, 2), lsh_verify_components_s=round(t_lsh, 2), total_s=round(t_nd, 2),
        docs_per_s=round(args.n / t_nd), cpu_s=round(CPU["sig"] + CPU["lsh"], 2), docs_per_cpu_s=round(args.n / (CPU["sig"] + CPU["lsh"])), recall_planted_near=round(rec_near, 4), recall_planted_exact=round(rec_exact, 4),
        originals_dropped_share=round(orig_dropped, 4))
    print("near-dup vectorised:", res["near_dedup_vectorised"], flush=True)
    del sig

    # 2. datasketch per-document MinHash on a subsample with planted pairs, extrapolated
    from datasketch import MinHash, MinHashLSH
    rng = np.random.default_rng(args.seed)
    near_idx = np.flatnonzero(kind == "near")
    n_pairs = min(len(near_idx), args.datasketch_docs // 4)
    pairs = rng.choice(near_idx, size=n_pairs, replace=False)
    others = rng.choice(np.flatnonzero(kind == ""), size=args.datasketch_docs - 2 * n_pairs, replace=False)
    sub = np.unique(np.r_[dup_of[pairs], pairs, others])
    def cs(s, n=5):
        u = "".join(ch for ch in s.lower() if ch.isalnum())
        return {u[i:i + n] for i in range(len(u) - n + 1)} or {u}
    def ds_minhash():
        out = []
        for i in sub:
            m = MinHash(num_perm=128); m.update_batch([x.encode("utf-8") for x in cs(docs[i])]); out.append(m)
        return out
    mh, t_dsm = timed(ds_minhash, "dsm")
    def ds_lsh():
        lsh = MinHashLSH(threshold=0.5, num_perm=128); found = 0; pos = {int(i): k for k, i in enumerate(sub)}
        for k, i in enumerate(sub): lsh.insert(int(i), mh[k])
        for p in pairs:
            cands = lsh.query(mh[pos[int(p)]])
            found += int(dup_of[p]) in cands and mh[pos[int(p)]].jaccard(mh[pos[int(dup_of[p])]]) >= 0.5
        return found / len(pairs)
    rec_ds, t_dsl = timed(ds_lsh, "dsl")
    per_doc = (t_dsm + t_dsl) / len(sub)
    res["datasketch_per_document"] = dict(measured_docs=int(len(sub)), minhash_s=round(t_dsm, 2), lsh_insert_query_s=round(t_dsl, 2),
        docs_per_s=round(1 / per_doc), docs_per_cpu_s=round(len(sub) / (CPU["dsm"] + CPU["dsl"])), minhash_only_docs_per_s=round(len(sub) / t_dsm),
        extrapolated_total_s_for_n=round(per_doc * args.n, 1), extrapolated=True,
        recall_planted_near_in_subsample=round(rec_ds, 4), n_planted_pairs_in_subsample=int(n_pairs),
        note="datasketch is measured on the subsample only and extrapolated linearly to n_docs")
    res["near_dedup_speedup_vs_datasketch"] = round(res["near_dedup_vectorised"]["docs_per_s"] / res["datasketch_per_document"]["docs_per_s"], 1)
    res["near_dedup_speedup_vs_datasketch_cpu"] = round(res["near_dedup_vectorised"]["docs_per_cpu_s"] / res["datasketch_per_document"]["docs_per_cpu_s"], 1)
    res["load_average_1min"] = os.getloadavg()[0]
    print("datasketch:", res["datasketch_per_document"], flush=True)

    # 3. DSIR importance weights
    _, target = pretrain_pool(per_source=5000, seed=args.seed, frac_exact=0, frac_near=0)
    dsir = ImportanceResample(target)
    def weights():
        raw = np.zeros(dsir.n_buckets)
        for s in range(0, args.n, B): raw += feature_counts(docs[s:s + B], dsir.n_buckets)
        lr = dsir.log_ratio(raw)
        return np.concatenate([log_ratio_batch({"text": docs[s:s + B]}, lr) for s in range(0, args.n, B)])
    w, t_w = timed(weights, "dsir")
    assert np.isfinite(w).all() and len(w) == args.n
    res["dsir_weights"] = dict(n_buckets=dsir.n_buckets, features="hashed word unigrams + bigrams", passes=2, total_s=round(t_w, 2),
                               docs_per_s=round(args.n / t_w), docs_per_cpu_s=round(args.n / CPU["dsir"]), goal_docs_per_s=100_000)
    print("DSIR:", res["dsir_weights"], flush=True)

    # 4. rule filters
    reasons, t_r = timed(lambda: np.concatenate([quality_reasons_batch({"text": docs[s:s + B]}) for s in range(0, args.n, B)]), "rules")
    vals, cnt = np.unique(reasons, return_counts=True)
    res["rule_filters"] = dict(total_s=round(t_r, 2), docs_per_s=round(args.n / t_r), docs_per_cpu_s=round(args.n / CPU["rules"]), goal_docs_per_s=200_000,
                               first_reason_counts={str(v) or "kept": int(c) for v, c in zip(vals, cnt)})
    print("rules:", {k: v for k, v in res["rule_filters"].items() if k != "first_reason_counts"}, flush=True)
    procs = min(2, os.cpu_count() or 1)
    reasons_p, t_rp = timed(lambda: rules_in_processes(docs, B, procs))
    assert (reasons_p == reasons).all(), "the multi-process rule filter must give the same reasons"
    res["rule_filters_processes"] = dict(processes=procs, total_s=round(t_rp, 2), docs_per_s=round(args.n / t_rp), goal_docs_per_s=200_000,
                                         same_reasons_as_single_process=True, note="forked workers, one batch of --batch documents per task; wall time")
    print("rules, processes:", res["rule_filters_processes"], flush=True)

    out = Path(args.out)
    write_atomic(out / "select.json", json.dumps(res, indent=2).encode())
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt, io
    names = ["near-dup\n(vectorised)", "near-dup\n(datasketch,\nextrapolated)", "DSIR weights", "rule filters", f"rule filters\n{procs} processes"]
    vals = [res["near_dedup_vectorised"]["docs_per_s"], res["datasketch_per_document"]["docs_per_s"], res["dsir_weights"]["docs_per_s"], res["rule_filters"]["docs_per_s"],
            res["rule_filters_processes"]["docs_per_s"]]
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    bars = ax.bar(names, vals, color=["C0", "C7", "C1", "C2", "C2"])
    ax.set_yscale("log"); ax.set_ylabel("documents / second, wall (log)")
    for g, x in ((100_000, 2), (200_000, 3), (200_000, 4)): ax.plot([x - 0.4, x + 0.4], [g, g], "k--", lw=1)
    for b_, v in zip(bars, vals): ax.text(b_.get_x() + b_.get_width() / 2, v * 1.1, f"{v:,.0f}", ha="center", fontsize=8)
    ax.set_title(f"{args.n:,} short documents, 1 process unless stated ({os.cpu_count()} cores); dashed: goals", fontsize=9)
    plt.tight_layout(); buf = io.BytesIO(); fig.savefig(buf, format="png", dpi=110)
    write_atomic(out / "select.png", buf.getvalue())
    print(f"wrote {out/'select.json'} and {out/'select.png'}")
    return res

if __name__ == "__main__":
    main()
