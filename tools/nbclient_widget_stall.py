"""Why a kernel-driven run of a widget notebook can sit idle between two cells, and the fix the course's runners use.

    python tools/nbclient_widget_stall.py [--runs 20] [--timeout 20]

nbclient emulates the front-end of an `ipywidgets.Output` widget: every output written inside `with out:` is sent
back to the kernel as a `comm_msg` on the *shell* channel, while the same client is waiting on that channel for the
cell's `execute_reply`. Under jupyter_client 8 + pyzmq's asyncio sockets that wake-up is sometimes missed: the reply
has arrived, but the client only reads it when its timeout fires (with no timeout, it can wait for ever). The cell
then takes exactly `--timeout` seconds although the kernel finished at once.

This script runs one small notebook (an Output widget written from a loop, a slider set) `--runs` times with
nbclient's widget emulation on (its default) and off (`client.comm_open_handlers = {}`), and prints, per setting, how
many runs had a cell that waited for the timeout. With emulation off, outputs written inside `with out:` become
ordinary cell outputs: nothing the course's checks read is lost. tests/test_wheel.py, tools/build_docs.py and
bench/bench_notebooks.py therefore run notebooks with it off (`no_widget_emulation`).
"""
import argparse, time


def no_widget_emulation(client):
    "Turn off nbclient's Output-widget emulation (its comm_msg sends on the shell channel are what stall the run); returns the client."
    client.comm_open_handlers = {}
    return client


def stalled_runs(emulate: bool, runs: int, timeout: int) -> list:
    "Per run, the longest cell in seconds."
    from nbformat.v4 import new_notebook, new_code_cell
    from nbclient import NotebookClient
    cells = [new_code_cell("import ipywidgets as W\nfrom IPython.display import display\no = W.Output(); display(o)\ns = W.IntSlider()")]
    for k in range(6):
        cells += [new_code_cell(f"for i in range(30):\n    with o: print('x', i)\n    s.value = i\nprint('cell {k}')"),
                  new_code_cell("o.clear_output()\nx = sum(range(10**5))")]
    out = []
    for _ in range(runs):
        nb = new_notebook(cells=cells)
        c = NotebookClient(nb, timeout=timeout, kernel_name="python3", shutdown_kernel="immediate")
        if not emulate: no_widget_emulation(c)
        longest = 0.0
        with c.setup_kernel():
            for i, cell in enumerate(nb.cells):
                t = time.perf_counter(); c.execute_cell(cell, i); longest = max(longest, time.perf_counter() - t)
        out.append(round(longest, 1))
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--timeout", type=int, default=20, help="per-cell timeout in seconds (a stalled cell takes this long)")
    a = p.parse_args()
    for emulate in (True, False):
        t = stalled_runs(emulate, a.runs, a.timeout)
        print(f"widget emulation {'on ' if emulate else 'off'}: {sum(x >= a.timeout * 0.9 for x in t)} of {a.runs} runs had a cell "
              f"that waited for the {a.timeout} s timeout; longest cell per run: {t}")
