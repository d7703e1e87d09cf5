"""`hub_online()` for learners behind a mirror or a proxy: it asks `HF_ENDPOINT` (not huggingface.co) through the
proxies the environment names, and `DSEL_ONLINE=1` / `HF_HUB_OFFLINE=1` answer without asking. A small HTTP server on
127.0.0.1 stands in for the mirror and for the proxy; nothing leaves this machine."""
import http.server, threading
import pytest
from dsel_course import core
from dsel_course.core import hub_online, hub_endpoint, pretend_hub

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_env(monkeypatch):
    for k in PROXY_VARS + ("HF_ENDPOINT", "HF_HUB_OFFLINE", "DSEL_ONLINE", "DSEL_HUB_STAND_INS"): monkeypatch.delenv(k, raising=False)
    core._HUB_STATE.clear()
    yield monkeypatch
    core._HUB_STATE.clear()


def _server(status=200):
    "A local server answering every HEAD/GET with `status` and refusing CONNECT with 403; it records the request lines."
    seen = []
    class H(http.server.BaseHTTPRequestHandler):
        def _answer(self, code): seen.append(self.requestline); self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
        def do_HEAD(self): self._answer(status)
        def do_GET(self): self._answer(status)
        def do_CONNECT(self): self._answer(403)
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, seen


def test_mirror_in_hf_endpoint_is_asked(clean_env):
    srv, seen = _server()
    try:
        clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.server_port}/")
        assert hub_endpoint() == f"http://127.0.0.1:{srv.server_port}"
        assert hub_online(refresh=True) is True and seen == ["HEAD / HTTP/1.1"]
    finally: srv.shutdown(); srv.server_close()


def test_a_mirror_that_fails_is_offline(clean_env):
    srv, seen = _server(status=503)
    try:
        clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.server_port}")
        assert hub_online(refresh=True) is False and len(seen) == 1
    finally: srv.shutdown(); srv.server_close()
    clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.server_port}")   # now closed: refused
    assert hub_online(refresh=True, timeout=1.0) is False


def test_http_proxy_is_used(clean_env):
    "A mirror name that does not resolve here is reached through the proxy, which answers for it."
    srv, seen = _server()
    try:
        clean_env.setenv("HF_ENDPOINT", "http://mirror.invalid")
        assert hub_online(refresh=True, timeout=1.0) is False and seen == []       # no proxy: the name does not resolve
        clean_env.setenv("HTTP_PROXY", f"http://127.0.0.1:{srv.server_port}")
        assert hub_online(refresh=True) is True and seen == ["HEAD http://mirror.invalid/ HTTP/1.1"]
        clean_env.setenv("NO_PROXY", "mirror.invalid")                              # NO_PROXY is honoured too
        assert hub_online(refresh=True, timeout=1.0) is False and len(seen) == 1
    finally: srv.shutdown(); srv.server_close()


def test_https_proxy_is_asked_for_the_hub(clean_env):
    "The default endpoint is https: the probe asks the HTTPS proxy for a tunnel to the hub (refused here, so offline)."
    srv, seen = _server()
    try:
        clean_env.setenv("HTTPS_PROXY", f"http://127.0.0.1:{srv.server_port}")
        assert hub_online(refresh=True) is False
        assert len(seen) == 1 and seen[0].startswith("CONNECT huggingface.co:443 ")
    finally: srv.shutdown(); srv.server_close()


def test_switches_answer_without_asking(clean_env):
    srv, seen = _server()
    try:
        clean_env.setenv("HF_ENDPOINT", f"http://127.0.0.1:{srv.server_port}")
        clean_env.setenv("DSEL_ONLINE", "1"); assert hub_online(refresh=True) is True
        clean_env.setenv("DSEL_ONLINE", "0"); clean_env.setenv("HF_HUB_OFFLINE", "1"); assert hub_online(refresh=True) is False
        clean_env.setenv("DSEL_ONLINE", "yes"); assert hub_online(refresh=True) is True     # "I am online" wins over HF_HUB_OFFLINE
        assert seen == []
        clean_env.delenv("DSEL_ONLINE")
        with pretend_hub(True): assert hub_online() is True
    finally: srv.shutdown(); srv.server_close()
