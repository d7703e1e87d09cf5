"""The checks `make setup` runs before it builds anything, in plain Python (no sha256sum, which macOS lacks).

    python3 tools/setup_check.py python        # exit 1 with a one-line message if this Python is too old
    python3 tools/setup_check.py key           # the set-up key: sha256 of pyproject.toml + constraints.txt + requirements-data.txt
    python3 tools/setup_check.py venv .venv    # exit 1 if .venv's Python is missing, too old, or has no pip

Written for any Python 3 (no f-strings), so that an old interpreter prints the message instead of a syntax error.
"""
import hashlib, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY_FILES = ("pyproject.toml", "constraints.txt", "requirements-data.txt")


def min_python():
    "The floor of `requires-python` in pyproject.toml, as a tuple (3, 11)."
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        m = re.search(r'requires-python\s*=\s*">=\s*(\d+)\.(\d+)', f.read())
    return (int(m.group(1)), int(m.group(2))) if m else (3, 11)


def setup_key(root=ROOT):
    "sha256 of the key files concatenated (the files that exist), first 16 hex digits."
    h = hashlib.sha256()
    for name in KEY_FILES:
        p = os.path.join(root, name)
        if os.path.exists(p):
            with open(p, "rb") as f: h.update(f.read())
    return h.hexdigest()[:16]


def check_python(version=None):
    "None if `version` (default: this interpreter's) meets requires-python, else the one-line message."
    v, need = tuple(version or sys.version_info[:2]), min_python()
    if v >= need: return None
    return ("dsel-course needs Python >= %d.%d, but %s is Python %d.%d: install a newer Python and run "
            "`make setup PYTHON=python%d.%d`" % (need + (sys.executable,) + v[:2] + need))


def check_venv(venv):
    "None if the virtualenv's Python runs, meets requires-python and has pip; else what is wrong."
    py = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
    if not os.path.exists(py): return "%s has no bin/python" % venv
    need = min_python()
    code = "import sys, pip; sys.exit(0 if sys.version_info[:2] >= (%d, %d) else 3)" % need
    try: r = subprocess.run([py, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.SubprocessError): return "%s does not run" % py
    if r.returncode == 3: return "%s is older than Python %d.%d" % ((py,) + need)
    if r.returncode != 0: return "%s has no pip" % py
    return None


def main(argv):
    if len(argv) < 1 or argv[0] not in ("python", "key", "venv"):
        print(__doc__.strip()); return 2
    if argv[0] == "key": print(setup_key()); return 0
    if argv[0] == "python":
        msg = check_python()
        if msg: print(msg); return 1
        return 0
    venv = argv[1] if len(argv) > 1 else ".venv"
    msg = check_venv(venv)
    if msg: print(msg); return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
