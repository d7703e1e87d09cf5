"""Throughput, memory and reference comparisons of the pre-training selection strategies on N short documents.

    python bench/bench_select.py [--n 1000000] [--datasketch-docs 20000] [--rensa-docs 0] [--dsir-ref-docs 50000]
                                 [--scale 100000,300000,1000000,3000000] [--out bench/results] [--force]

Writes bench/results/select.json, select.png and select_scale.png (atomically; an existing select.json is only
replaced with --force). Documents are synthesised from the course's real mixed pool (dsel_course.labs.pretrain.pretrain_pool):
each is three random windows (3-8 words each) from three random pool documents, then 2% exact copies (re-formatted) and
2% near-duplicates (dsel_course.labs.pretrain.perturb) of earlier documents are planted.

Measured in one run (single process unless stated; CPU seconds of this process, with the load average before and after):
- near-dup dedup, ours (`near_duplicate_of_texts`: char 5-gram shingles, 128-permutation MinHash, 32x4 LSH, J >= 0.5),
  streamed from texts to the kept set: as it runs by default (pairs whose estimate is within exact_margin=0.15 above
  the threshold confirmed on the exact shingle Jaccard), with the MinHash estimate only, and with every pair checked exactly;
  numba's compiled loops (signatures, band keys, word tokens) are loaded once before any timing (jit_warm_up_s);
  recall on the planted near-duplicates / exact copies and the share of original documents dropped;
- rensa 0.5.0 `RMinHashDeduplicator` (Rust; LSH candidates verified against the threshold), end to end on the SAME documents:
  the char 5-gram shingle lists built in Python (as datasketch's users do) and fed to `add_pairs`;
- datasketch per-document MinHash + MinHashLSH on --datasketch-docs documents, EXTRAPOLATED linearly to N (stated in the JSON);
- hashed uni+bigram importance weights (DSIR, 10,000 buckets), docs/s; and against data-selection 1.0.3 (the DSIR authors'
  package) on --dsir-ref-docs documents: docs/s of both and the Jaccard overlap of their top-k sets by log importance weight;
- Gopher/C4-style rule filters (quality_reasons_batch): docs/s in one process, and with 2 forked processes;
- scale (--scale): each scorer at each size in a fresh subprocess: CPU and wall seconds and peak resident memory
  (the child's own VmHWM, reset after synthesis; it includes the synthesised documents, whose resident size is also given).
  near-dup runs with `near_duplicate_of_texts`'s own batch size and signature budget (--batch is for DSIR and the rules).
"""
import argparse, json, os, resource, subprocess, sys, time, platform
from pathlib import Path
import numpy as np

from dsel_course.data import write_atomic   # the library's: temp file beside the target, normal permissions, os.replace

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

def warm_up_kernels():
    "Run each compiled (numba) loop once on a few documents, so that no timing includes loading or compiling it."
    from dsel_course.selection.dedup import near_duplicate_of_texts
    from dsel_course.selection.quality import quality_reasons_batch
    few = ["warm up the compiled loops once", "warm up the compiled loops twice", "预热"] * 4
    near_duplicate_of_texts(few); quality_reasons_batch({"text": few})

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

def load():
    "1-, 5- and 15-minute load averages (the machine is shared)."
    return [round(x, 2) for x in os.getloadavg()]

def rss_mb():
    "This process's resident memory now, in MB (from /proc; 0 where unavailable)."
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    except OSError: pass
    return 0.0

def vm_hwm_mb():
    "This process's peak resident memory (VmHWM of its own address space), in MB; 0 where unavailable."
    try: return next((int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")), 0.0)
    except OSError: return 0.0

def char_shingle_list(s, n=5):
    "The char 5-gram shingles of one text as Python strings (what a rensa or datasketch user builds)."
    u = "".join(ch for ch in s.lower() if ch.isalnum())
    return [u[i:i + n] for i in range(len(u) - n + 1)] or [u]

def dedup_quality(first, kind):
    "Recall on planted near/exact copies and the share of originals dropped, from a keep mask or first-of-cluster array."
    dropped = ~first if first.dtype == bool else first != np.arange(len(first))
    return dict(recall_planted_near=round(float(dropped[kind == "near"].mean()), 4), recall_planted_exact=round(float(dropped[kind == "exact"].mean()), 4),
                originals_dropped_share=round(float(dropped[kind == ""].mean()), 5), n_dropped=int(dropped.sum()))

def run_ours_near(docs, kind, **kw):
    "near_duplicate_of_texts at J >= 0.5 with these options (exact=..., exact_margin=...; the rest its defaults)."
    from dsel_course.selection.dedup import near_duplicate_of_texts
    T = {}; opts = {**near_duplicate_of_texts.__kwdefaults__, **kw}
    first, wall = timed(lambda: near_duplicate_of_texts(docs, 0.5, timings=T, **kw), "ours_nd")
    cpu = CPU["ours_nd"]
    return dict(num_perm=128, bands=32, rows=4, threshold=0.5, shingles="char 5-grams", exact_jaccard_check=opts["exact"], exact_margin=opts["exact_margin"],
                total_s=round(wall, 2), cpu_s=round(cpu, 2), docs_per_s=round(len(docs) / wall), docs_per_cpu_s=round(len(docs) / cpu),
                stage_cpu_s={k: round(v, 3) for k, v in T.items()}, **dedup_quality(first, kind))

def run_rensa(docs, kind):
    import rensa
    def go():
        dd = rensa.RMinHashDeduplicator(threshold=0.5, num_perm=128, use_lsh=True, num_bands=32, seed=42)
        return np.fromiter(dd.add_pairs((str(i), char_shingle_list(t)) for i, t in enumerate(docs)), bool, count=len(docs))
    keep, wall = timed(go, "rensa")
    # the Python shingle lists alone, to say how much of rensa's end-to-end time is input building
    _, wall_tok = timed(lambda: [len(char_shingle_list(t)) for t in docs[:min(len(docs), 100_000)]], "rensa_tok")
    cpu = CPU["rensa"]
    return dict(version=rensa.__version__ if hasattr(rensa, "__version__") else "0.5.0", api="RMinHashDeduplicator(threshold=0.5, num_perm=128, use_lsh=True, num_bands=32).add_pairs",
                input="char 5-gram shingle lists built in Python from the same texts (alphanumerics, lower case), streamed",
                total_s=round(wall, 2), cpu_s=round(cpu, 2), docs_per_s=round(len(docs) / wall), docs_per_cpu_s=round(len(docs) / cpu),
                shingle_building_cpu_share=round(min(1.0, CPU["rensa_tok"] * len(docs) / min(len(docs), 100_000) / cpu), 3),
                rayon_threads=os.environ.get("RAYON_NUM_THREADS", "default"), **dedup_quality(keep, kind))

def run_datasketch(docs, dup_of, kind, n_docs, seed):
    from datasketch import MinHash, MinHashLSH
    rng = np.random.default_rng(seed)
    near_idx = np.flatnonzero(kind == "near")
    n_pairs = min(len(near_idx), n_docs // 4)
    pairs = rng.choice(near_idx, size=n_pairs, replace=False)
    others = rng.choice(np.flatnonzero(kind == ""), size=n_docs - 2 * n_pairs, replace=False)
    sub = np.unique(np.r_[dup_of[pairs], pairs, others])
    def ds_minhash():
        out = []
        for i in sub:
            m = MinHash(num_perm=128); m.update_batch([x.encode("utf-8") for x in set(char_shingle_list(docs[i]))]); out.append(m)
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
    return dict(measured_docs=int(len(sub)), minhash_s=round(t_dsm, 2), lsh_insert_query_s=round(t_dsl, 2),
        docs_per_s=round(1 / per_doc), docs_per_cpu_s=round(len(sub) / (CPU["dsm"] + CPU["dsl"])), minhash_only_docs_per_s=round(len(sub) / t_dsm),
        extrapolated_total_s_for_n=round(per_doc * len(docs), 1), extrapolated=True,
        recall_planted_near_in_subsample=round(rec_ds, 4), n_planted_pairs_in_subsample=int(n_pairs),
        note="datasketch is measured on the subsample only and extrapolated linearly to n_docs")

def ours_dsir_weights(docs, target, B):
    from dsel_course.selection.importance import feature_counts, log_ratio_batch, ImportanceResample
    dsir = ImportanceResample(target)
    raw = np.zeros(dsir.n_buckets)
    for s in range(0, len(docs), B): raw += feature_counts(docs[s:s + B], dsir.n_buckets)
    lr = dsir.log_ratio(raw)
    return np.concatenate([log_ratio_batch({"text": docs[s:s + B]}, lr) for s in range(0, len(docs), B)]), dsir

def top_k(w, k):
    "Indices of the k largest log weights (ties broken by index: seed-independent)."
    return np.lexsort((np.arange(len(w)), -np.asarray(w)))[:k]

_OUR_TOKEN = None
def our_like_tokens(text):
    "Tokens as ours splits them (runs of letters/digits, each CJK character alone), lower-cased, as strings for data-selection."
    global _OUR_TOKEN
    import re
    if _OUR_TOKEN is None: _OUR_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
    return _OUR_TOKEN.findall(text.lower())

def rehashed_dsir_weights(docs, target, B, n_buckets=10_000):
    "Our DSIR weights with the same tokens and another bucket hash (fmix64 of the hash xor a constant): a second, equally valid hashing."
    from dsel_course.selection.importance import hashed_ngram_features
    from dsel_course.text import fmix64
    def feats(texts):
        f = hashed_ngram_features(texts, 1 << 62)   # the unreduced hashes (mod 2^62)
        return (fmix64(f.hashes.astype(np.uint64) ^ np.uint64(0x5DEECE66D)) % np.uint64(n_buckets)).astype(np.int64), f.doc
    cnt = lambda texts: np.bincount(feats(texts)[0], minlength=n_buckets).astype(float)
    raw = sum(cnt(docs[s:s + B]) for s in range(0, len(docs), B)); tc = cnt(target)
    lr = np.log((tc + 1) / (tc + 1).sum()) - np.log((raw + 1) / (raw + 1).sum())
    out = []
    for s in range(0, len(docs), B):
        h, d = feats(docs[s:s + B]); out.append(np.bincount(d, weights=lr[h], minlength=len(docs[s:s + B])))
    return np.concatenate(out)

def run_data_selection(docs, target, k_frac, B):
    "data-selection's HashedNgramDSIR on the same documents; its weights, ours, and the top-k overlaps (with ablations)."
    import data_selection, tempfile as tf
    from data_selection import HashedNgramDSIR
    from dsel_course.selection.importance import feature_counts, log_ratio_batch
    from dsel_course.data import normalize_text
    with tf.TemporaryDirectory() as d:
        raw_p, tgt_p = os.path.join(d, "raw.jsonl"), os.path.join(d, "target.jsonl")
        for p, texts in ((raw_p, docs), (tgt_p, target)):
            with open(p, "w") as f: f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
        def theirs():
            ds = HashedNgramDSIR([raw_p], [tgt_p], cache_dir=os.path.join(d, "cache"), num_proc=1, ngrams=2, num_buckets=10_000,
                                 tokenizer="wordpunct", min_example_length=0)
            ds.fit_importance_estimator(num_tokens_to_fit="all"); ds.compute_importance_weights()
            return np.load(os.path.join(d, "cache", "log_importance_weights", "0.npy")), ds
        (w_t, ds), wall_t = timed(theirs, "dsel_ref")
    w_o, wall_o = timed(lambda: ours_dsir_weights(docs, target, B)[0], "dsir_sub")
    k = max(1, int(k_frac * len(docs)))
    jac = lambda a, b: len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    top_t, top_o = top_k(w_t, k), top_k(w_o, k)
    raw = feature_counts(docs, 10_000); tc = feature_counts(target, 10_000)
    lr_eps = np.log(tc / tc.sum() + 1e-8) - np.log(raw / raw.sum() + 1e-8)   # ablation: their smoothing on our features
    w_eps = np.concatenate([log_ratio_batch({"text": docs[s:s + B]}, lr_eps) for s in range(0, len(docs), B)])
    w_rehash = rehashed_dsir_weights(docs, target, B)   # ablation: ours with another bucket hash (the hashing noise floor)
    with tf.TemporaryDirectory() as d:   # ablation: their package, with a tokeniser that splits like ours
        raw_p, tgt_p = os.path.join(d, "raw.jsonl"), os.path.join(d, "target.jsonl")
        for p, texts in ((raw_p, docs), (tgt_p, target)):
            with open(p, "w") as f: f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
        ds2 = HashedNgramDSIR([raw_p], [tgt_p], cache_dir=os.path.join(d, "cache"), num_proc=1, ngrams=2, num_buckets=10_000, min_example_length=0)
        ds2.tokenizer = our_like_tokens
        ds2.fit_importance_estimator(num_tokens_to_fit="all"); ds2.compute_importance_weights()
        w_t2 = np.load(os.path.join(d, "cache", "log_importance_weights", "0.npy"))
    from scipy.stats import spearmanr
    rho = float(spearmanr(w_t, w_o).statistic)
    return dict(package=f"data-selection {getattr(data_selection, '__version__', '1.0.3')}", docs=len(docs), target_docs=len(target),
                theirs=dict(call="HashedNgramDSIR(num_proc=1, ngrams=2, num_buckets=10000, tokenizer='wordpunct', min_example_length=0); fit_importance_estimator('all'); compute_importance_weights()",
                            total_s=round(wall_t, 2), cpu_s=round(CPU["dsel_ref"], 2), docs_per_s=round(len(docs) / wall_t), docs_per_cpu_s=round(len(docs) / CPU["dsel_ref"]),
                            note="time of fitting both bucket distributions and computing every weight; writing the jsonl inputs is not counted"),
                ours=dict(total_s=round(wall_o, 3), cpu_s=round(CPU["dsir_sub"], 3), docs_per_s=round(len(docs) / wall_o), docs_per_cpu_s=round(len(docs) / CPU["dsir_sub"])),
                speedup_cpu=round(CPU["dsel_ref"] / CPU["dsir_sub"], 1), speedup_wall=round(wall_t / wall_o, 1),
                budget_share=k_frac, k=k, scoring="top-k by log importance weight (seed-independent; the resample's Gumbel noise is not used)",
                jaccard_topk=round(jac(top_t, top_o), 4), jaccard_topk_ours_with_their_smoothing=round(jac(top_t, top_k(w_eps, k)), 4),
                jaccard_topk_ours_vs_ours_with_their_smoothing=round(jac(top_o, top_k(w_eps, k)), 4), spearman_weights=round(rho, 4),
                jaccard_topk_theirs_with_our_tokeniser=round(jac(top_k(w_t2, k), top_o), 4),
                jaccard_topk_theirs_vs_theirs_with_our_tokeniser=round(jac(top_k(w_t2, k), top_t), 4),
                jaccard_topk_ours_vs_ours_rehashed=round(jac(top_o, top_k(w_rehash, k)), 4),
                spearman_theirs_with_our_tokeniser=round(float(spearmanr(w_t2, w_o).statistic), 4),
                ablations_note="each jaccard_* compares two top-k sets at the same k: the tokeniser swap isolates tokenisation, the rehash (same tokens, another bucket hash) measures how much two equally valid hashings of 10,000 buckets disagree, the smoothing swap isolates smoothing",
                differences=["tokeniser: theirs nltk WordPunctTokenizer (\\w+ runs and punctuation runs are tokens) on lower-cased text; ours runs of letters/digits, punctuation dropped, each CJK character a token",
                             "hashing: theirs sha256(token) mod 10000; ours a 64-bit polynomial/murmur hash mod 10000: different bucket collisions",
                             "smoothing: theirs log(p + 1e-8) on raw probabilities; ours add-one on counts",
                             "n-grams: both unigrams + bigrams over the token sequence; theirs' bigrams include punctuation tokens"])

def child(scorer, n, seed, batch):
    "One scorer at one size, in this (fresh) process: time and peak memory."
    from dsel_course.text import char_table, _char_hash_table
    char_table(); _char_hash_table(); warm_up_kernels()
    docs, dup_of, kind = synth_docs(n, seed); del dup_of
    import gc; gc.collect()
    rss_docs = rss_mb(); hwm_synth = vm_hwm_mb()
    try:
        with open("/proc/self/clear_refs", "w") as f: f.write("5")   # reset VmHWM: the peak from here on is the scorer's
        hwm_reset = True
    except OSError: hwm_reset = False
    if scorer == "near_dup":
        from dsel_course.selection.dedup import near_duplicate_of_texts
        T = {}; first, wall = timed(lambda: near_duplicate_of_texts(docs, 0.5, timings=T), "x")   # its own batch size and signature budget
        kw = near_duplicate_of_texts.__kwdefaults__
        extra = dict(stage_cpu_s={k: round(v, 3) for k, v in T.items()}, batch_size=kw["batch_size"], max_sig_bytes=kw["max_sig_bytes"],
                     signatures_kept=n * 128 * 4 <= kw["max_sig_bytes"], **dedup_quality(first, kind))
        hwm_scorer = vm_hwm_mb()   # the peak of the timed run, before the check below
        # untimed: the same documents with every pair checked against the exact Jaccard, to tell true near-duplicates among the
        # originals (kept out by exact checking too) from estimation errors (which exact checking removes)
        q = dedup_quality(near_duplicate_of_texts(docs, 0.5, exact=True), kind)
        extra.update(exact_check_n_dropped=q["n_dropped"], exact_check_originals_dropped_share=q["originals_dropped_share"])
    elif scorer == "dsir":
        from dsel_course.labs.pretrain import pretrain_pool
        from dsel_course.selection.protocol import texts_of
        target = texts_of(pretrain_pool(per_source=5000, seed=seed, frac_exact=0, frac_near=0)[1])
        c = time.process_time(); t = time.perf_counter()
        w, _ = ours_dsir_weights(docs, target, batch); wall = time.perf_counter() - t; CPU["x"] = time.process_time() - c
        extra = {}
    else:
        from dsel_course.selection.quality import quality_reasons_batch
        _, wall = timed(lambda: np.concatenate([quality_reasons_batch({"text": docs[s:s + batch]}) for s in range(0, n, batch)]), "x")
        extra = {}
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm = hwm_scorer if scorer == "near_dup" else vm_hwm_mb()
    return dict(scorer=scorer, n_docs=n, wall_s=round(wall, 2), cpu_s=round(CPU["x"], 2), docs_per_cpu_s=round(n / CPU["x"]),
                peak_rss_mb=round(max(hwm, hwm_synth)), peak_rss_synthesis_mb=round(hwm_synth), getrusage_maxrss_mb=round(maxrss),
                rss_after_synthesis_mb=round(rss_docs), peak_rss_during_scoring_mb=round(hwm) if hwm_reset else None,
                scoring_extra_mb=round(hwm - rss_docs) if hwm_reset else None, **extra)

SCALE_NOTE = ("each row: a fresh `python bench_select.py --child SCORER --n N` process. peak_rss_mb: that process's VmHWM (its own address space) over "
              "synthesis and scoring; peak_rss_during_scoring_mb: VmHWM reset after synthesis (clear_refs), so the scorer's peak with the documents resident; "
              "scoring_extra_mb = that minus rss_after_synthesis_mb. getrusage_maxrss_mb is NOT the child's own: Linux folds the parent's "
              "high-water mark into the child's maxrss at fork+exec, so it shows the parent's size")

def run_scale(sizes, seed, batch):
    rows = []
    for n in sizes:
        for scorer in ("near_dup", "dsir", "rules"):
            out = subprocess.run([sys.executable, __file__, "--child", scorer, "--n", str(n), "--seed", str(seed), "--batch", str(batch)],
                                 capture_output=True, text=True, env=os.environ | {"OMP_NUM_THREADS": "1"})
            if out.returncode != 0: raise RuntimeError(f"child {scorer} n={n} failed:\n{out.stderr[-2000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["load_after"] = load(); rows.append(r); print("scale:", r, flush=True)
    return rows

def plot_scale(rows, path):
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt, io
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.4))
    for sc, c in (("near_dup", "C0"), ("dsir", "C1"), ("rules", "C2")):
        r = [x for x in rows if x["scorer"] == sc]
        if not r: continue
        n = np.array([x["n_docs"] for x in r])
        axs[0].loglog(n, [x["cpu_s"] for x in r], "o-", color=c, label=sc)
        axs[1].loglog(n, [x["peak_rss_mb"] for x in r], "o-", color=c, label=f"{sc} (whole process)")
        if r[0].get("peak_rss_during_scoring_mb"): axs[1].loglog(n, [max(1, x["scoring_extra_mb"]) for x in r], "x:", color=c, label=f"{sc} (scoring's own)")
    n = np.array(sorted({x["n_docs"] for x in rows}), float)
    if len(n):
        r0 = [x for x in rows if x["scorer"] == "near_dup"]
        if r0: axs[0].loglog(n, r0[0]["cpu_s"] * n / n[0], "k:", lw=1, label="linear")
    axs[1].axhline(2048, color="k", ls="--", lw=1, label="2 GB goal")
    axs[0].set(xlabel="documents", ylabel="CPU seconds"); axs[1].set(xlabel="documents", ylabel="peak resident MB (whole process)")
    for a in axs: a.legend(fontsize=7)
    fig.suptitle("each size and scorer in a fresh process (log-log)", fontsize=9); plt.tight_layout()
    buf = io.BytesIO(); fig.savefig(buf, format="png", dpi=110); write_atomic(path, buf.getvalue())

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of documents")
    ap.add_argument("--datasketch-docs", type=int, default=20_000, help="subsample measured with datasketch (extrapolated to --n)")
    ap.add_argument("--rensa-docs", type=int, default=0, help="documents given to rensa (0: all --n, the same as ours)")
    ap.add_argument("--dsir-ref-docs", type=int, default=50_000, help="documents scored by data-selection and by ours for the overlap")
    ap.add_argument("--scale", default="100000,300000,1000000,3000000", help="comma-separated sizes for the scale table ('' to skip)")
    ap.add_argument("--batch", type=int, default=5_000, help="documents per batch of DSIR and the rules (5,000: their library default; the temporaries of 50,000 spill out of the CPU cache and ran 1.4-1.6x slower)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"), help="output folder")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--force", action="store_true", help="replace an existing select.json")
    ap.add_argument("--scale-only", action="store_true", help="re-measure only the scale rows into the existing select.json (needs --force)")
    ap.add_argument("--child", choices=("near_dup", "dsir", "rules"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.n < 1000: sys.exit("--n must be >= 1000: the planted duplicates are 2% + 2% of it")
    import datasets; datasets.disable_progress_bars()
    if args.child:
        print(json.dumps(child(args.child, args.n, args.seed, args.batch))); return
    out = Path(args.out)
    if (out / "select.json").exists() and not args.force: sys.exit(f"{out/'select.json'} exists: pass --force to replace it")
    if args.scale_only:
        res = json.loads((out / "select.json").read_text())
        sizes = [int(x) for x in args.scale.split(",") if x.strip()]
        before = load()
        res["scale"] = dict(sizes=sizes, rows=run_scale(sizes, args.seed, args.batch), note=SCALE_NOTE, load_average_before=before, load_average_after=load(),
                            command="python bench/bench_select.py " + " ".join(argv if argv is not None else sys.argv[1:]))
        write_atomic(out / "select.json", json.dumps(res, indent=2).encode()); plot_scale(res["scale"]["rows"], out / "select_scale.png")
        print(f"rewrote the scale rows of {out/'select.json'} and {out/'select_scale.png'}"); return res
    from dsel_course.selection.quality import quality_reasons_batch
    from dsel_course.labs.pretrain import pretrain_pool
    from dsel_course.selection.protocol import texts_of
    from dsel_course.text import char_table, _char_hash_table
    char_table(); _char_hash_table()  # build the lookup tables once, outside the timings
    t0 = time.perf_counter(); warm_up_kernels()   # numba's compiled loops: loaded from its disk cache (or compiled once), outside the timings
    res = dict(n_docs=args.n, jit_warm_up_s=round(time.perf_counter() - t0, 2), timing_note="docs_per_s uses wall time; docs_per_cpu_s uses this process's CPU time, which is robust to other load on a shared machine; ratios are CPU-time ratios measured in this one run",
               machine=dict(platform=platform.platform(), cpu_count=os.cpu_count(), python=platform.python_version(), numpy=np.__version__),
               load_average_before=load(), single_process="every measurement except rule_filters_processes",
               command="python bench/bench_select.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    (docs, dup_of, kind), t_syn = timed(lambda: synth_docs(args.n, args.seed))
    res["synthesis_s"] = round(t_syn, 2); res["mean_chars_per_doc"] = float(np.mean([len(d) for d in docs[:100_000]]))
    print(f"synthesised {args.n:,} documents in {t_syn:.1f} s (mean {res['mean_chars_per_doc']:.0f} chars)", flush=True)
    B = args.batch

    # 1. near-dup: ours (default: pairs near the threshold confirmed exactly; the estimate alone; every pair checked), rensa, datasketch
    res["near_dedup_vectorised"] = run_ours_near(docs, kind)
    print("near-dup ours:", res["near_dedup_vectorised"], flush=True)
    res["near_dedup_estimate_only"] = run_ours_near(docs, kind, exact_margin=0.0)
    print("near-dup ours, MinHash estimate only:", res["near_dedup_estimate_only"], flush=True)
    res["near_dedup_exact_check"] = run_ours_near(docs, kind, exact=True)
    print("near-dup ours, exact check of every pair:", res["near_dedup_exact_check"], flush=True)
    nr = args.rensa_docs or args.n
    res["rensa_deduplicator"] = run_rensa(docs[:nr], kind[:nr]); res["rensa_deduplicator"]["measured_docs"] = nr
    print("rensa:", res["rensa_deduplicator"], flush=True)
    res["datasketch_per_document"] = run_datasketch(docs, dup_of, kind, args.datasketch_docs, args.seed)
    print("datasketch:", res["datasketch_per_document"], flush=True)
    nd, ex, rs = res["near_dedup_vectorised"], res["near_dedup_exact_check"], res["rensa_deduplicator"]
    res["near_dedup_speedup_vs_datasketch"] = round(nd["docs_per_s"] / res["datasketch_per_document"]["docs_per_s"], 1)
    res["near_dedup_speedup_vs_datasketch_cpu"] = round(nd["docs_per_cpu_s"] / res["datasketch_per_document"]["docs_per_cpu_s"], 1)
    res["near_dedup_speedup_vs_rensa_cpu"] = round(nd["docs_per_cpu_s"] / rs["docs_per_cpu_s"], 2)
    res["near_dedup_exact_speedup_vs_rensa_cpu"] = round(ex["docs_per_cpu_s"] / rs["docs_per_cpu_s"], 2)
    res["near_dedup_estimate_only_speedup_vs_rensa_cpu"] = round(res["near_dedup_estimate_only"]["docs_per_cpu_s"] / rs["docs_per_cpu_s"], 2)
    res["near_dedup_goals"] = dict(docs_per_cpu_s=100_000, recall_near=0.99, originals_dropped_share=0.001, speedup_vs_rensa_cpu=1.5)
    res["load_average_1min"] = os.getloadavg()[0]

    # 2. DSIR importance weights, and against data-selection
    _, target = pretrain_pool(per_source=5000, seed=args.seed, frac_exact=0, frac_near=0)
    target = texts_of(target)
    (w, dsir), t_w = timed(lambda: ours_dsir_weights(docs, target, B), "dsir")
    assert np.isfinite(w).all() and len(w) == args.n
    res["dsir_weights"] = dict(n_buckets=dsir.n_buckets, features="hashed word unigrams + bigrams", passes=2, total_s=round(t_w, 2),
                               docs_per_s=round(args.n / t_w), docs_per_cpu_s=round(args.n / CPU["dsir"]), goal_docs_per_s=100_000)
    print("DSIR:", res["dsir_weights"], flush=True)
    del w
    nref = min(args.dsir_ref_docs, args.n)
    res["dsir_vs_data_selection"] = run_data_selection(docs[:nref], target, 0.1, B)
    print("DSIR vs data-selection:", res["dsir_vs_data_selection"], flush=True)

    # 3. rule filters
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
    res["load_average_after_main"] = load()
    del docs, reasons, reasons_p

    # 4. scale: each scorer and size in a fresh process
    sizes = [int(x) for x in args.scale.split(",") if x.strip()]
    res["scale"] = dict(sizes=sizes, rows=run_scale(sizes, args.seed, B), note=SCALE_NOTE)
    res["load_average_after"] = load()

    write_atomic(out / "select.json", json.dumps(res, indent=2).encode())
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt, io
    names = ["near-dup\n(ours)", "near-dup\n(rensa)", "near-dup\n(datasketch,\nextrapolated)", "DSIR weights", "DSIR\n(data-selection)", "rule filters"]
    vals = [nd["docs_per_cpu_s"], rs["docs_per_cpu_s"], res["datasketch_per_document"]["docs_per_cpu_s"], res["dsir_weights"]["docs_per_cpu_s"],
            res["dsir_vs_data_selection"]["theirs"]["docs_per_cpu_s"], res["rule_filters"]["docs_per_cpu_s"]]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    bars = ax.bar(names, vals, color=["C0", "C7", "C7", "C1", "C7", "C2"])
    ax.set_yscale("log"); ax.set_ylabel("documents / CPU-second (log)")
    for g, x in ((100_000, 0), (100_000, 3), (200_000, 5)): ax.plot([x - 0.4, x + 0.4], [g, g], "k--", lw=1)
    for b_, v in zip(bars, vals): ax.text(b_.get_x() + b_.get_width() / 2, v * 1.1, f"{v:,.0f}", ha="center", fontsize=8)
    ax.set_title(f"{args.n:,} short documents, 1 process ({os.cpu_count()} cores, load {res['load_average_before'][0]}); dashed: goals", fontsize=9)
    plt.tight_layout(); buf = io.BytesIO(); fig.savefig(buf, format="png", dpi=110)
    write_atomic(out / "select.png", buf.getvalue())
    if res["scale"]["rows"]: plot_scale(res["scale"]["rows"], out / "select_scale.png")
    print(f"wrote {out/'select.json'}, {out/'select.png'} and {out/'select_scale.png'}")
    return res

if __name__ == "__main__":
    main()
