"""rnnkit serve over real sockets on 127.0.0.1: models listed with their schemas, predict
equal to the predictor's own, generation streamed as Server-Sent Events, bad requests
answered 4xx with the field named, a token where one is set."""

import http.client
import json
import socket
import threading
import time
from pathlib import Path

import pytest

import rnnkit

pytest.importorskip("fastapi", reason="the serve extra (installed by make test)")
uvicorn = pytest.importorskip("uvicorn")

from rnnkit.serve import Limits, create_app  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
TINY = {"hidden_size": 8, "num_layers": 1, "max_steps": 3, "progress": False}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=root / "lm", batch_size=4,
                 embedding_dim=4, **TINY)  # fmt: skip
    rnnkit.train("classify", data=str(FIXTURES / "tasks" / "classify.tsv"), out=root / "clf",
                 ngram_buckets=64, **TINY)  # fmt: skip
    rnnkit.train("tag", data=str(FIXTURES / "tasks" / "tag.conll"), out=root / "ner",
                 char_hidden_size=2, **TINY)  # fmt: skip
    return root


class Server:
    """uvicorn in a thread on a free loopback port."""

    def __init__(self, app) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            assert time.time() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        conn.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                       **(headers or {})})  # fmt: skip
        response = conn.getresponse()
        text = response.read().decode("utf-8")
        conn.close()
        return response.status, text


@pytest.fixture(scope="module")
def server(runs):
    app = create_app([runs / "lm", runs / "clf", runs / "ner"], limits=Limits(max_inputs=4))
    with Server(app) as s:
        yield s


def test_health_and_the_models_with_their_schemas(server):
    assert server.request("GET", "/healthz") == (200, '{"status":"ok"}')
    status, text = server.request("GET", "/v1/models")
    models = {m["name"]: m for m in json.loads(text)}
    assert status == 200 and {k: m["task"] for k, m in models.items()} == {
        "lm": "lm", "clf": "classify", "ner": "tag"}  # fmt: skip
    assert models["clf"]["schema"]["predict_options"]["properties"]["top_k"]["minimum"] == 1
    assert models["ner"]["metrics"]["full"] is True
    assert server.request("GET", "/docs")[0] == 200


def test_predict_equals_the_predictors_own(server, runs):
    for name, inputs, options in [("clf", ["abcab", "nopq"], {"top_k": 2}),
                                  ("ner", ["Anna lives in Rome ."], {})]:  # fmt: skip
        status, text = server.request("POST", f"/v1/models/{name}/predict",
                                      {"inputs": inputs, "options": options})  # fmt: skip
        assert status == 200, text
        expected = rnnkit.load(runs / name).predict(inputs, **options)
        assert json.loads(text)["outputs"] == json.loads(json.dumps(expected))


def test_generation_streams_the_same_text_as_the_predictor(server, runs):
    body = {"prompt": "ALL:", "max_new": 30, "temperature": 0.8, "seed": 3, "stream": True}
    status, text = server.request("POST", "/v1/models/lm/generate", body)
    assert status == 200
    events = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    pieces = [json.loads(e)["text"] for e in events if e != "{}"]
    assert len(pieces) == 30 and text.rstrip().endswith("data: {}")
    expected = rnnkit.load(runs / "lm").generate("ALL:", max_new=30, temperature=0.8, seed=3)
    assert "ALL:" + "".join(pieces) == expected
    whole = server.request("POST", "/v1/models/lm/generate", {**body, "stream": False})[1]
    assert json.loads(whole)["output"] == "".join(pieces)


@pytest.mark.parametrize(
    "path, body, status, field",
    [
        ("/v1/models/clf/predict", "{not json", 400, "body"),
        ("/v1/models/clf/predict", {"inputs": "abc"}, 422, "inputs"),
        ("/v1/models/clf/predict", {"inputs": []}, 422, "inputs"),
        ("/v1/models/clf/predict", {"inputs": ["a"] * 5}, 422, "inputs"),
        ("/v1/models/clf/predict", {"inputs": [3]}, 422, "inputs[0]"),
        ("/v1/models/clf/predict", {"inputs": [""]}, 422, "inputs[0]"),
        ("/v1/models/clf/predict", {"inputs": ["a"], "options": {"top_k": 0}}, 422, "options"),
        ("/v1/models/nope/predict", {"inputs": ["a"]}, 404, "name"),
        ("/v1/models/lm/generate", {"prompt": 3}, 422, "prompt"),
        ("/v1/models/lm/generate", {"max_new": 10**6}, 422, "max_new"),
        ("/v1/models/lm/generate", {"temperature": -1}, 422, "temperature"),
        ("/v1/models/clf/generate", {"prompt": "a"}, 422, "name"),
        ("/v1/models/clf/predict", {"inputs": ["x" * 20_000]}, 422, "inputs[0]"),  # max_chars
        ("/v1/models/clf/predict", {"inputs": ["x" * 2_000_000]}, 413, "body"),
        # valid JSON, yet not text: the answer, which echoes it, failed with a 500
        ("/v1/models/clf/predict", '{"inputs": ["\\ud800"]}', 422, "body"),
        ("/v1/models/lm/generate", '{"prompt": "\\ud800", "max_new": 3}', 422, "body"),
        (
            "/v1/models/clf/predict",
            '{"inputs": ' + "[" * 100_000 + "]" * 100_000 + "}",
            400,
            "body",
        ),
    ],
)
def test_a_bad_request_gets_a_4xx_naming_the_field(server, path, body, status, field):
    raw = body if isinstance(body, str) else None
    got, text = server.request("POST", path, None if raw else body, raw=raw)
    assert got == status, text
    assert json.loads(text)["field"] == field and "Traceback" not in text


def test_a_token_is_checked_on_every_request_but_health(runs):
    app = create_app([runs / "clf"], token="s3cret")
    with Server(app) as s:
        assert s.request("GET", "/healthz")[0] == 200
        assert s.request("GET", "/v1/models")[0] == 401
        assert s.request("GET", "/docs")[0] == 401
        status, text = s.request("POST", "/v1/models/clf/predict", {"inputs": ["a"]})
        assert status == 401 and json.loads(text)["field"] == "authorization"
        ok = s.request("GET", "/v1/models", headers={"Authorization": "Bearer s3cret"})
        assert ok[0] == 200


def test_the_cli_limits_reach_the_server(runs, monkeypatch):
    """``rnnkit serve --max-body N`` (and the other limits) set what the server refuses:
    a body over N bytes (but within the other limits) gets 413 over a real socket."""
    import rnnkit.serve
    from rnnkit.cli import main

    seen = {}
    monkeypatch.setattr(rnnkit.serve, "serve", lambda runs, **kw: seen.update(kw))
    main(["serve", str(runs / "clf"), "--max-body", "100", "--max-inputs", "3",
          "--max-chars", "50", "--max-new", "7"])  # fmt: skip
    limits = seen["limits"]
    assert (limits.max_body, limits.max_inputs, limits.max_chars, limits.max_new) == (
        100, 3, 50, 7,
    )  # fmt: skip
    with Server(create_app([runs / "clf"], limits=limits)) as s:
        assert s.request("POST", "/v1/models/clf/predict", {"inputs": ["abc"]})[0] == 200
        status, text = s.request("POST", "/v1/models/clf/predict", {"inputs": ["a" * 40] * 3})
        assert status == 413 and json.loads(text)["field"] == "body"


def test_binding_beyond_loopback_without_a_token_is_refused(runs, capsys, monkeypatch):
    from rnnkit.cli import main

    monkeypatch.delenv("RNNKIT_TOKEN", raising=False)
    with pytest.raises(SystemExit) as e:
        main(["serve", str(runs / "clf"), "--host", "0.0.0.0"])
    assert e.value.code == 2
    assert "give a --token" in capsys.readouterr().err


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    json_values.map(json.dumps),
    st.fixed_dictionaries({"inputs": json_values, "options": json_values}).map(json.dumps),
    st.dictionaries(st.sampled_from(["prompt", "max_new", "temperature", "top_k", "top_p",
                                     "seed", "stream", "x"]), json_values).map(json.dumps),
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, path=st.sampled_from(["/v1/models/lm/predict", "/v1/models/lm/generate",
       "/v1/models/clf/predict", "/v1/models/ner/predict", "/v1/models/clf/generate"]))  # fmt: skip
def test_random_bodies_never_get_a_500(server, body, path):
    status, text = server.request("POST", path, raw=body.encode("utf-8", "surrogatepass"))
    assert status < 500, (path, body, text)
    if status >= 400:
        assert "field" in json.loads(text) and "Traceback" not in text


def _close(a, b) -> bool:
    if isinstance(a, float):
        return abs(a - b) <= 1e-5
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("name", ["clf", "ner"])
def test_concurrent_requests_are_answered_by_fewer_forward_passes_with_the_same_results(runs, name):
    app = create_app([runs / name], limits=Limits(max_batch=64, max_wait_ms=100))
    predictor = app.state.models[name]
    calls = []
    plain = predictor.predict

    def counted(inputs, **options):
        calls.append(len(inputs))
        return plain(inputs, **options)

    predictor.predict = counted
    texts = ["abcab", "nopq", "gfe", "aab", "qrst st", "a", "Anna lives in Rome .", "Ben sang ."]
    inputs = [texts[i % len(texts)] + (" x" * (i % 3)) for i in range(16)]
    results = [None] * len(inputs)
    with Server(app) as s:

        def ask(i):
            results[i] = s.request("POST", f"/v1/models/{name}/predict", {"inputs": [inputs[i]]})

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(inputs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(status == 200 for status, _ in results)
    assert len(calls) < len(inputs) and max(calls) > 1  # grouped into larger passes
    predictor.predict = plain
    for i, (_, text) in enumerate(results):
        alone = json.loads(json.dumps(plain([inputs[i]])))
        assert _close(json.loads(text)["outputs"], alone), (inputs[i], text, alone)


def test_a_client_that_goes_away_mid_stream_stops_the_generation(runs):
    app = create_app([runs / "lm"])
    predictor = app.state.models["lm"]
    produced = []
    plain = predictor.stream

    def counted(*args, **kwargs):
        for piece in plain(*args, **kwargs):
            produced.append(piece)
            time.sleep(0.002)
            yield piece

    predictor.stream = counted
    with Server(app) as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        body = json.dumps({"prompt": "ALL:", "max_new": 2000, "stream": True})
        conn.request("POST", "/v1/models/lm/generate", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read1(64)  # the first events arrive
        conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()
        time.sleep(1.5)
        seen = len(produced)
        time.sleep(0.5)
    assert seen < 2000 and len(produced) == seen  # stopped, and no token more
