"""Stage profile of `near_duplicate_of_texts`: CPU seconds and peak resident memory of each stage, in a fresh process.

    python bench/profile_near_dup.py --n 1000000 [--cache /tmp/docs_1000000.pkl] [--max-sig-bytes N]

Synthesises the documents as bench/bench_select.py does (`synth_docs`, seed 42; --cache keeps them in a pickle so a
second profile skips synthesis), resets the kernel's high-water mark (VmHWM, /proc/self/clear_refs) and then, at the
end of each stage (when the function adds that stage's CPU seconds to `timings`), records the stage's own peak RSS and
resets the mark again. Prints one JSON line: the total, and per stage CPU seconds, VmRSS at the end and VmHWM during it.
"""
import argparse, json, os, pickle, resource, sys, time
from pathlib import Path
import numpy as np

def status_mb(field):
    "A VmXXX field of /proc/self/status, in MB."
    return next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith(field + ":"))

def reset_hwm():
    with open("/proc/self/clear_refs", "w") as f: f.write("5")

class StageLog(dict):
    "A timings dict that also logs, at every stage's end, the RSS now and the peak since the last stage ended."
    def __init__(self): super().__init__(); self.mem = {}
    def __setitem__(self, k, v):
        super().__setitem__(k, v)
        m = self.mem.setdefault(k, dict(rss_end_mb=0, hwm_mb=0))
        m["rss_end_mb"] = round(status_mb("VmRSS")); m["hwm_mb"] = max(m["hwm_mb"], round(status_mb("VmHWM"))); reset_hwm()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000); ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cache", default=""); ap.add_argument("--max-sig-bytes", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None, help="batch_size (default: the function's)")
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from dsel_course.text import char_table, _char_hash_table
    from dsel_course.selection.dedup import near_duplicate_of_texts
    import dsel_course
    char_table(); _char_hash_table()
    if a.cache and os.path.exists(a.cache):
        with open(a.cache, "rb") as f: docs, kind = pickle.load(f)
    else:
        from bench_select import synth_docs
        docs, _, kind = synth_docs(a.n, a.seed)
        if a.cache:
            with open(a.cache, "wb") as f: pickle.dump((docs, kind), f, protocol=5)
    import gc; gc.collect()
    rss0 = status_mb("VmRSS"); reset_hwm()
    T = StageLog(); kw = {k: v for k, v in dict(max_sig_bytes=a.max_sig_bytes, batch_size=a.batch).items() if v is not None}
    c = time.process_time()
    first = near_duplicate_of_texts(docs, 0.5, timings=T, **kw)
    cpu = time.process_time() - c
    peak = max(m["hwm_mb"] for m in T.mem.values())
    out = dict(module=dsel_course.__file__, n=a.n, cpu_s=round(cpu, 2), docs_per_cpu_s=round(a.n / cpu), rss_docs_mb=round(rss0),
               peak_rss_mb=peak, scoring_extra_mb=round(peak - rss0), n_dropped=int((first != np.arange(len(first))).sum()),
               first_sha=__import__("hashlib").sha256(first.astype(np.int64).tobytes()).hexdigest()[:16],
               stages={k: dict(cpu_s=round(v, 2), **T.mem[k]) for k, v in dict.items(T)})
    print(json.dumps(out))

if __name__ == "__main__":
    main()
