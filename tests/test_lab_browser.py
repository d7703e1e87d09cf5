"""Chapter 5's selection lab in a real browser, as a learner meets it: JupyterLab 4 headless on a free
loopback port, headless Chromium (Debian's `chromium`, driven by Python playwright through
`executable_path`; never `playwright install`), `50_lab.ipynb` run in `ci` mode, a strategy picked,
the budget moved, Run clicked, and the result plot checked to change. Screenshots go to
`reports/lab-browser/` (override with DSEL_SCREENSHOTS). Skipped, with the reason, where Chromium or
playwright is missing (`make setup` installs Chromium with apt when it runs as root).

The notebook is copied to a temporary folder first, so JupyterLab never saves outputs into nbs/."""
import os, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in (os.environ.get("DSEL_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)

KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && w.sessionContext.isReady && k.connectionStatus === 'connected' && k.status === 'idle'); }"""

def choose(box, description:str, starts:str) -> None:
    "Pick the option whose label starts with `starts` in the dropdown labelled `description`."
    sel = box.locator(".widget-dropdown", has_text=description).locator("select")
    labels = [t.replace("\xa0", " ") for t in sel.locator("option").all_inner_texts()]   # ipywidgets shows spaces as &nbsp;
    i = next((i for i, t in enumerate(labels) if t.startswith(starts)), None)
    assert i is not None, f"no option starting with {starts!r} in {description}: {labels}"
    sel.select_option(index=i)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def wait_http(url:str, timeout:float) -> None:
    "Wait until `url` answers (the server is up), at most `timeout` seconds."
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5): return
        except Exception: time.sleep(1)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {timeout:.0f} s")

@pytest.fixture
def jupyterlab(tmp_path):
    "A JupyterLab 4 server on a free loopback port, serving a copy of nbs/50_lab.ipynb; killed afterwards."
    shutil.copy(ROOT / "nbs" / "50_lab.ipynb", tmp_path / "50_lab.ipynb")
    port = free_port()
    env = {**os.environ, "DSEL_MODE": "ci", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
    env.pop("IN_TEST", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url=",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0: cmd.append("--allow-root")
    log = open(tmp_path / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/status", 120)
        yield f"http://127.0.0.1:{port}"
    finally:
        try: os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); proc.wait(timeout=10)
        log.close()

def test_selection_lab_in_jupyterlab(jupyterlab):
    if CHROMIUM is None:
        pytest.skip("no Chromium here: install it with `apt-get install -y chromium` (make setup does this when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: make setup installs it (dev extra)")
    shots = Path(os.environ.get("DSEL_SCREENSHOTS", ROOT / "reports" / "lab-browser")); shots.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic(); times = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(f"{jupyterlab}/lab/tree/50_lab.ipynb", timeout=120_000)
            page.locator(".jp-Notebook").wait_for(timeout=120_000)
            page.wait_for_function(KERNEL_IDLE, timeout=240_000)   # the kernel is started, connected and idle
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")   # Run → Run All Cells
            page.wait_for_function("() => [...document.querySelectorAll('.jp-InputPrompt')].some(e => /\\[[0-9*]+\\]/.test(e.innerText))", timeout=60_000)
            lab = page.locator(".widget-vbox", has=page.locator("text=Selection lab")).last
            run = lab.locator("button.widget-button", has_text="Run")
            run.wait_for(timeout=420_000)            # every cell above ran in ci mode; the widget is drawn
            times["notebook to widget"] = time.monotonic() - t0
            page.wait_for_function(KERNEL_IDLE, timeout=300_000)   # the cells after the lab have run too
            run.scroll_into_view_if_needed(); page.screenshot(path=str(shots / "1-widget.png"))

            # a first run with the default setting
            run.click()
            img = lab.locator(".widget-output img").first
            img.wait_for(timeout=180_000)
            first = img.get_attribute("src")
            msg = lab.locator(".widget-html", has_text="keeps").first.inner_text()
            assert "accuracy" in msg, msg
            page.screenshot(path=str(shots / "2-first-result.png"))

            # pick a strategy, move the budget, Run again: the plot must change
            choose(lab, "strategy", "class_balanced:")
            handle = lab.locator(".widget-hslider", has_text="budget").locator(".noUi-handle").first
            handle.focus(); handle.press("ArrowRight"); handle.press("ArrowRight")
            page.wait_for_function("() => [...document.querySelectorAll('.widget-html')].some(e => e.innerText.includes('press Run'))", timeout=30_000)
            page.screenshot(path=str(shots / "3-controls-moved.png"))
            t1 = time.monotonic(); run.click()
            page.wait_for_function("(old) => { const i = [...document.querySelectorAll('.widget-output img')].pop(); return i && i.src !== old; }",
                                   arg=first, timeout=180_000)
            times["second run"] = time.monotonic() - t1
            assert not run.is_disabled()                       # re-enabled after the run
            msg = lab.locator(".widget-html", has_text="keeps").first.inner_text()
            assert msg.startswith("class_balanced keeps"), msg
            page.screenshot(path=str(shots / "4-second-result.png"))

            # a bad combination is a message inside the widget, not a traceback
            choose(lab, "trainer", "fine-tuned bert-base-uncased")
            run.click()
            page.wait_for_function("() => [...document.querySelectorAll('.widget-html')].some(e => e.innerText.includes('needs a GPU'))", timeout=30_000)
            assert lab.locator("text=Traceback").count() == 0
            page.screenshot(path=str(shots / "5-bad-combination.png"))
        except Exception:
            page.screenshot(path=str(shots / "failed.png")); raise
        finally:
            browser.close()
    (shots / "timings.txt").write_text("".join(f"{k}: {v:.1f} s\n" for k, v in times.items()) + f"total: {time.monotonic() - t0:.1f} s\n")
