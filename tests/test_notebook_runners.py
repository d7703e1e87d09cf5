"""The course's kernel-driven notebook runners turn off nbclient's Output-widget emulation, whose shell-channel sends can
leave a finished cell's reply unread until the timeout (tools/nbclient_widget_stall.py; 9 of 20 runs stalled with it on, 0 of 20 off)."""
import importlib.util, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNERS = ("tests/test_wheel.py", "tools/build_docs.py", "bench/bench_notebooks.py")


@pytest.mark.parametrize("path", RUNNERS)
def test_runner_turns_off_widget_emulation(path):
    s = (ROOT / path).read_text(encoding="utf-8")
    assert "NotebookClient(" in s and "comm_open_handlers = {}" in s, f"{path}: set client.comm_open_handlers = {{}} before executing"


def test_widget_notebook_does_not_stall_without_emulation():
    spec = importlib.util.spec_from_file_location("nbclient_widget_stall", ROOT / "tools" / "nbclient_widget_stall.py")
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    longest = m.stalled_runs(emulate=False, runs=3, timeout=15)
    assert max(longest) < 10, longest   # a stalled cell would wait the full 15 s
