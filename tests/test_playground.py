"""The playground page at ``/`` of ``rnnkit serve``, in a real headless browser: Debian's
chromium driven by Playwright's Python API, against ``rnnkit serve`` started as a user
starts it, on tiny runs of every task trained here. Each test does what a user does on
the page, checks what the page shows against the predictor's own answer, and saves a
screenshot (in ``$RNNKIT_SCREENSHOTS`` when set, else in pytest's temporary folder).

Without chromium or Playwright these tests are skipped, except where
``RNNKIT_REQUIRE_BROWSER`` is set (CI sets it: there they must run).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import rnnkit

pytest.importorskip("fastapi", reason="the serve extra (installed by make test)")
REQUIRED = bool(os.environ.get("RNNKIT_REQUIRE_BROWSER"))
CHROMIUM = os.environ.get("RNNKIT_CHROMIUM") or shutil.which("chromium")
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None
if REQUIRED:
    assert sync_playwright is not None, "RNNKIT_REQUIRE_BROWSER: pip install playwright"
    assert CHROMIUM, "RNNKIT_REQUIRE_BROWSER: apt-get install chromium"
elif sync_playwright is None or not CHROMIUM:
    pytest.skip("needs Playwright and chromium (.ci/run installs both)", allow_module_level=True)

FIXTURES = Path(__file__).parent / "fixtures"
TASKS = FIXTURES / "tasks"
TEXT = {"hidden_size": 16, "embedding_dim": 8, "num_layers": 1, "progress": False}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("playground")
    rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=root / "lm", bptt=16,
                 batch_size=4, max_steps=20, **TEXT)  # fmt: skip
    rnnkit.train("classify", data=str(TASKS / "classify.tsv"), out=root / "clf",
                 ngram_buckets=256, batch_size=16, max_steps=40, **TEXT)  # fmt: skip
    # Long enough to find entities: the page must show spans, not an empty line.
    rnnkit.train("tag", data=str(TASKS / "tag.conll"), out=root / "ner", hidden_size=32,
                 embedding_dim=16, char_hidden_size=8, char_embedding_dim=8, batch_size=8,
                 max_steps=200, lr=0.01, progress=False)  # fmt: skip
    rnnkit.train("forecast", data=str(TASKS / "forecast.csv"), out=root / "load",
                 target="load", lookback=8, horizon=4, batch_size=16, hidden_size=16,
                 max_steps=20, progress=False)  # fmt: skip
    rnnkit.train("seq2seq", data=str(TASKS / "seq2seq.tsv"), out=root / "rev",
                 batch_size=16, max_steps=20, **TEXT)  # fmt: skip
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """``rnnkit serve RUN ...`` as a child process on a free loopback port."""

    def __init__(self, runs: list[Path], *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "rnnkit", "serve", *map(str, runs),
                   "--port", str(self.port), *extra]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    out = self.process.stdout.read().decode() if self.process.stdout else ""
                    self.close()
                    raise AssertionError(f"rnnkit serve did not start:\n{out}") from None
                time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(runs):
    # --max-new: a stream long enough that a Stop surely comes in the middle of it
    serve = Serve(
        [runs / name for name in ("lm", "clf", "ner", "load", "rev")], "--max-new", "20000"
    )
    yield serve
    serve.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where chromium's sandbox cannot start.
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("RNNKIT_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    yield page
    context.close()
    assert not errors, errors  # no script error, no failed load (nothing from elsewhere)


def _open(page, server, model: str) -> None:
    page.goto(f"{server.url}/?model={model}")
    page.wait_for_function(f"document.getElementById('model').value === {json.dumps(model)}")


def _run_and_wait(page) -> None:
    page.focus("#input")
    page.keyboard.press("Control+Enter")  # the keyboard is enough
    page.wait_for_function("/^Done/.test(document.getElementById('status').textContent)")


def test_the_page_and_its_files_come_from_the_package_only(browser, server):
    context = browser.new_context()
    page = context.new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(server.url + "/")
    page.wait_for_selector("#model option", state="attached")
    assert requested and all(u.startswith(server.url) for u in requested), requested
    names = page.eval_on_selector_all("#model option", "os => os.map(o => o.value)")
    assert names == ["lm", "clf", "ner", "load", "rev"]
    context.close()


def test_a_language_model_streams_its_text(page, server, runs, shots):
    _open(page, server, "lm")
    page.fill("#input", "ALL:")
    page.fill("#opt-max_new", "300")
    page.fill("#opt-temperature", "0.8")
    page.fill("#opt-top_k", "20")
    page.fill("#opt-top_p", "0.95")
    page.fill("#opt-seed", "3")
    page.evaluate(  # the length of the text each time the page changes it
        """() => { window.lengths = [];
        new MutationObserver(() => { const t = document.getElementById('generated');
          if (t) window.lengths.push(t.textContent.length); })
        .observe(document.getElementById('output'), {childList: true, subtree: true,
                 characterData: true}); }"""
    )
    _run_and_wait(page)
    lengths = page.evaluate("window.lengths")
    assert len(set(lengths)) >= 2 and lengths == sorted(lengths), lengths  # it grew
    shown = page.text_content("#generated")
    expected = rnnkit.load(runs / "lm").predict(
        ["ALL:"], max_new=300, temperature=0.8, top_k=20, top_p=0.95, seed=3
    )[0]["output"]
    assert shown == expected and len(shown) == lengths[-1]
    page.screenshot(path=shots / "lm.png", full_page=True)


def test_stop_ends_a_stream(page, server):
    _open(page, server, "lm")
    page.fill("#opt-max_new", "20000")
    page.focus("#input")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("document.getElementById('generated')?.dataset.pieces > 0")
    page.keyboard.press("Escape")
    page.wait_for_function("document.getElementById('status').textContent === 'Stopped.'")
    pieces = int(page.get_attribute("#generated", "data-pieces"))
    assert 0 < pieces < 20000
    page.wait_for_timeout(300)  # nothing more is read or said after the Stop
    assert int(page.get_attribute("#generated", "data-pieces")) == pieces
    assert page.text_content("#status") == "Stopped."
    assert page.is_enabled("#run")


def test_a_tagger_highlights_the_predicted_spans(page, server, runs, shots):
    _open(page, server, "ner")
    text = "Anna Brown flew to Lima and Ben lives in Oslo"
    page.fill("#input", text)
    _run_and_wait(page)
    marks = page.eval_on_selector_all(
        "mark.span", "ms => ms.map(m => [m.dataset.type, m.querySelector('.words').textContent])"
    )
    output = rnnkit.load(runs / "ner").predict([text])[0]
    expected = [
        [s["type"], " ".join(output["tokens"][s["start"] : s["end"]])] for s in output["spans"]
    ]
    assert marks == expected and expected  # the same spans, and there are some
    tags = page.eval_on_selector_all(
        "table.tags tr:nth-child(2) td", "ds => ds.map(d => d.textContent)"
    )
    assert tags == output["tags"]
    page.screenshot(path=shots / "tag.png", full_page=True)


def test_a_classifier_shows_its_top_labels_as_bars(page, server, runs, shots):
    _open(page, server, "clf")
    page.fill("#input", "abcab")
    page.fill("#opt-top_k", "3")
    _run_and_wait(page)
    bars = page.eval_on_selector_all(
        "ol.bars li",
        """ls => ls.map(l => [l.dataset.label, +l.dataset.probability,
             l.querySelector('.fill').getBoundingClientRect().width /
             l.querySelector('.bar').getBoundingClientRect().width])""",
    )
    expected = rnnkit.load(runs / "clf").predict(["abcab"], top_k=3)[0]["top_k"]
    assert [b[0] for b in bars] == [e["label"] for e in expected]
    for (_, shown, width), e in zip(bars, expected, strict=True):
        assert shown == pytest.approx(e["probability"], abs=1e-6)
        assert width == pytest.approx(e["probability"], abs=0.01)  # the bar's length
    page.screenshot(path=shots / "classify.png", full_page=True)


def test_a_forecaster_draws_the_series_the_forecast_and_the_baselines(page, server, runs, shots):
    _open(page, server, "load")
    example = json.loads(page.input_value("#input"))
    _run_and_wait(page)
    lines = page.eval_on_selector_all(
        "svg.chart polyline", "ps => ps.map(p => [p.dataset.name, p.points.numberOfItems])"
    )
    output = rnnkit.load(runs / "load").predict([example])[0]
    expected = [["history", len(example["rows"])], ["forecast", output["horizon"] + 1]]
    expected += [[k, output["horizon"] + 1] for k, v in output["baselines"].items() if v]
    assert lines == expected and len(lines) == 5
    shown = json.loads(page.text_content("#raw-json"))
    assert shown["values"] == pytest.approx(output["values"], abs=1e-6)
    page.screenshot(path=shots / "forecast.png", full_page=True)


def test_seq2seq_shows_its_output_and_attention(page, server, runs, shots):
    _open(page, server, "rev")
    page.fill("#input", "abcdef")
    _run_and_wait(page)
    output = rnnkit.load(runs / "rev").predict(["abcdef"], attention=True)[0]
    assert page.text_content("#seq-output") == output["output"]
    weights = page.eval_on_selector_all("svg.heatmap rect", "rs => rs.map(r => +r.dataset.weight)")
    expected = [w for row in output["attention"]["weights"] for w in row]
    assert weights == pytest.approx(expected, abs=1e-6) and len(weights) > 1
    page.screenshot(path=shots / "seq2seq.png", full_page=True)


def test_the_keyboard_alone_picks_a_model_and_runs_it(page, server):
    page.goto(server.url + "/")
    page.wait_for_selector("#model option", state="attached")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "model"
    page.keyboard.press("ArrowDown")  # lm -> clf
    page.wait_for_function("document.getElementById('run').textContent === 'Run'")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "input"
    page.keyboard.press("Control+A")
    page.keyboard.type("nopq")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("ol.bars li")
    assert page.evaluate("document.getElementById('model').value") == "clf"


def test_a_phone_width_window_shows_every_view_without_scrolling_sideways(browser, server, shots):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    for model in ("lm", "clf", "ner", "load", "rev"):
        _open(page, server, model)
        if model == "lm":
            page.fill("#opt-max_new", "80")
        _run_and_wait(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (model, width)
        page.screenshot(path=shots / f"phone-{model}.png", full_page=True)
    context.close()


def test_a_server_with_a_token_asks_for_it_on_the_page(browser, runs, shots):
    serve = Serve([runs / "clf"], "--token", "s3cret")
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(serve.url + "/")
        page.wait_for_selector("#auth:not([hidden])")
        assert "token" in page.text_content("#status")
        page.fill("#token", "s3cret")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('model').value === 'clf'")
        _run_and_wait(page)
        assert page.eval_on_selector_all("ol.bars li", "ls => ls.length") >= 1
        context.close()
    finally:
        serve.close()
