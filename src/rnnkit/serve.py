"""``rnnkit serve``: trained runs behind an HTTP API (the ``serve`` extra: FastAPI on uvicorn).

Every route comes from the task protocol: a predictor's declared input and output
schemas and its options, so a new task is served without new server code::

    GET  /healthz                        {"status": "ok"}
    GET  /v1/models                      name, task, config summary, metrics, schemas
    POST /v1/models/{name}/predict       {"inputs": [...], "options": {...}} -> {"outputs": [...]}
    POST /v1/models/{name}/generate      {"prompt", "max_new", ...; "stream": true} ->
                                         Server-Sent Events, one piece of text each
                                         (language models; whole JSON when not streamed)
    GET  /docs                           the OpenAPI page
    GET  /                               the playground: a page to try each model, drawn
                                         from each predictor's ``view()`` (no CDN)

Bad requests get a 4xx and ``{"error": ..., "field": ...}``, never a traceback. The
server binds 127.0.0.1 by default; elsewhere it needs a token, checked on every
request but /healthz (``Authorization: Bearer TOKEN``).
"""

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnnkit.errors import ConfigError, RnnkitError

__all__ = ["create_app", "Limits", "serve"]


class Limits:
    """What one request may ask (inputs, characters, generated tokens, body bytes), and
    how requests are grouped: up to ``max_batch`` inputs, waiting at most
    ``max_wait_ms`` for more (``max_batch`` 1: one request at a time; at most a minute,
    since a request waits that long for company)."""

    MAX_WAIT_MS = 60_000.0

    def __init__(
        self,
        max_inputs: int = 64,
        max_chars: int = 10_000,
        max_new: int = 2_000,
        max_body: int = 1 << 20,
        max_batch: int = 32,
        max_wait_ms: float = 5.0,
    ) -> None:
        counts = {"max_inputs": max_inputs, "max_chars": max_chars, "max_new": max_new,
                  "max_body": max_body, "max_batch": max_batch}  # fmt: skip
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not 0 <= max_wait_ms <= self.MAX_WAIT_MS:  # NaN and inf too
            raise ConfigError(
                f"max_wait_ms must be in [0, {self.MAX_WAIT_MS:g}], got {max_wait_ms}"
            )
        self.max_inputs, self.max_chars = max_inputs, max_chars
        self.max_new, self.max_body = max_new, max_body
        self.max_batch, self.max_wait_ms = max_batch, max_wait_ms


class Batcher:
    """Micro-batching: the predict requests that reach one model together are answered
    by one forward pass (the predictor sorts and pads its inputs by length, as in
    training), then split back; a batch that fails is answered request by request, so
    one bad input fails its own request only. Requests with other options wait for a
    batch of their own."""

    def __init__(self, predictor, limits: Limits) -> None:
        import concurrent.futures

        self.predictor, self.limits = predictor, limits
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # one forward at a time
        self.queue = None
        self.task = None

    async def predict(self, inputs: list, options: dict) -> list:
        import asyncio

        if self.queue is None:
            self.queue = asyncio.Queue()
            self.task = asyncio.get_running_loop().create_task(self._run())
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((inputs, options, future))
        return await future

    async def _run(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        wait = self.limits.max_wait_ms / 1000
        while True:
            batch = [await self.queue.get()]
            size, deadline = len(batch[0][0]), loop.time() + wait
            while size < self.limits.max_batch and self.limits.max_batch > 1:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), left))
                except TimeoutError:
                    break
                size += len(batch[-1][0])
            groups: dict[str, list] = {}
            for item in batch:
                groups.setdefault(json.dumps(item[1], sort_keys=True), []).append(item)
            for items in groups.values():
                await loop.run_in_executor(self.pool, self._answer, loop, items)

    def _answer(self, loop, items: list) -> None:
        """Predict for ``items`` together (in the worker thread); set each future."""
        options = items[0][1]
        try:
            outputs = self.predictor.predict(
                [x for inputs, _, _ in items for x in inputs], **options
            )
        except Exception:
            if len(items) > 1:  # find the request at fault: each alone
                for item in items:
                    self._answer(loop, [item])
                return
            outputs = None
            error = _error()
        start = 0
        for inputs, _, future in items:
            if outputs is None:
                loop.call_soon_threadsafe(_settle, future, None, error)
            else:
                part = outputs[start : start + len(inputs)]
                loop.call_soon_threadsafe(_settle, future, part, None)
            start += len(inputs)


def _error() -> BaseException:
    import sys

    return sys.exc_info()[1]


def _settle(future, result, error) -> None:
    if future.done():  # the client went away
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _fastapi():
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError(
            "rnnkit serve needs FastAPI and uvicorn: pip install 'rnnkit[serve]'"
        ) from None


def create_app(
    runs: Sequence[str | os.PathLike], *, limits: Limits | None = None, token: str | None = None
):
    """A FastAPI app serving ``runs`` (run directories), for ``uvicorn`` or to mount in
    another app. Each model is named after its run directory."""
    _fastapi()
    import jsonschema
    from fastapi import FastAPI, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

    import rnnkit

    limits = limits or Limits()
    models = {}
    for run in runs:
        name = Path(run).resolve().name
        if name in models:
            raise ConfigError(f"two runs are named {name!r}; serve runs of different names")
        models[name] = rnnkit.load(run)
    app = FastAPI(title="rnnkit", version=rnnkit.__version__)
    batchers = {name: Batcher(p, limits) for name, p in models.items()}
    validators = {  # compiled once: a request checks its inputs against the declared schema
        name: jsonschema.validators.validator_for(p.input_schema)(p.input_schema)
        for name, p in models.items()
    }

    class Refused(Exception):
        def __init__(self, status: int, error: str, field: str | None = None) -> None:
            self.status, self.error, self.field = status, error, field

    @app.exception_handler(Refused)
    async def refused(request, e: Refused):
        return JSONResponse({"error": e.error, "field": e.field}, status_code=e.status)

    def guard(request: Request) -> None:
        """The declared body size (the token is checked by :class:`TokenGate`)."""
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limits.max_body):
            raise Refused(413, f"the body is over {limits.max_body} bytes", "body")

    async def body(request: Request) -> dict:
        guard(request)
        raw = await request.body()
        if len(raw) > limits.max_body:
            raise Refused(413, f"the body is over {limits.max_body} bytes", "body")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:  # nested too deep
            raise Refused(400, f"malformed JSON ({e})", "body") from None
        if not isinstance(data, dict):
            raise Refused(422, "the body must be a JSON object", "body")
        try:  # "\ud800" is valid JSON but not text: answering with it would fail
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(
                422, "a lone surrogate escape (such as \\ud800) is not text", "body"
            ) from None
        return data

    def model(name: str):
        if name not in models:
            raise Refused(404, f"no model {name!r}; GET /v1/models lists them", "name")
        return models[name]

    def check_text(value: Any, field: str) -> None:
        if isinstance(value, str) and len(value) > limits.max_chars:
            raise Refused(422, f"over {limits.max_chars} characters", field)
        if isinstance(value, list | dict):
            for i, item in enumerate(value.values() if isinstance(value, dict) else value):
                check_text(item, f"{field}[{i}]")

    shown = {name: {"view": p.view(), "examples": p.examples()} for name, p in models.items()}

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def playground():
        return HTMLResponse(_playground_file("index.html"))

    @app.get("/playground/{file}", include_in_schema=False)
    async def playground_file(file: str):
        if file not in PLAYGROUND:
            raise Refused(404, f"no file {file!r}", "file")
        return Response(_playground_file(file), media_type=PLAYGROUND[file])

    @app.get("/v1/models")
    async def list_models() -> list[dict]:
        out = []
        for name, p in models.items():
            metrics = p.run.read_metrics() if p.run else []
            out.append(
                {
                    "name": name,
                    "task": p.task,
                    "model": p.config.to_dict()["model"],
                    "metrics": metrics[-1] if metrics else {},
                    "schema": p.schema(),
                    **shown[name],
                }
            )
        return out

    @app.post("/v1/models/{name}/predict")
    async def predict(name: str, request: Request) -> dict:
        model(name)  # 404 for an unknown name
        data = await body(request)
        inputs, options = data.get("inputs"), data.get("options", {})
        if not isinstance(inputs, list) or not inputs:
            raise Refused(422, "a non-empty list of inputs", "inputs")
        if len(inputs) > limits.max_inputs:
            raise Refused(422, f"at most {limits.max_inputs} inputs", "inputs")
        if not isinstance(options, dict):
            raise Refused(422, "an object of options", "options")
        for i, item in enumerate(inputs):
            error = jsonschema.exceptions.best_match(validators[name].iter_errors(item))
            if error is not None:
                raise Refused(422, error.message, f"inputs[{i}]")
            check_text(item, f"inputs[{i}]")
        if "max_new" in options and _over(options["max_new"], limits.max_new):
            raise Refused(422, f"at most {limits.max_new}", "options.max_new")
        try:
            return {"outputs": await batchers[name].predict(inputs, options)}
        except RnnkitError as e:
            raise Refused(422, str(e), "options" if "option" in str(e) else "inputs") from None

    @app.post("/v1/models/{name}/generate")
    async def generate(name: str, request: Request):
        p = model(name)
        if not hasattr(p, "stream"):
            raise Refused(422, f"{name!r} is a {p.task} model, which does not generate", "name")
        data = await body(request)
        prompt, stream = data.pop("prompt", ""), data.pop("stream", False)
        if not isinstance(prompt, str):
            raise Refused(422, "a string", "prompt")
        check_text(prompt, "prompt")
        if not isinstance(stream, bool):
            raise Refused(422, "true or false", "stream")
        try:
            options = p.options("predict", data)
        except RnnkitError as e:
            raise Refused(422, str(e), _field(str(e), data)) from None
        if options.max_new > limits.max_new:
            raise Refused(422, f"at most {limits.max_new}", "max_new")
        kwargs = {k: getattr(options, k) for k in ("temperature", "top_k", "top_p", "seed")}
        pieces = p.stream(prompt, options.max_new, **kwargs)
        if not stream:
            return {"prompt": prompt, "output": "".join(pieces)}

        def events():  # stops when the client goes: the generator is closed, no token more
            for piece in pieces:
                yield f"data: {json.dumps({'text': piece}, ensure_ascii=False)}\n\n"
            yield "event: end\ndata: {}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    if token:
        app.add_middleware(TokenGate, token=token)
    app.state.models = models
    return app


PLAYGROUND = {  # the page's files, shipped in the package
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


def _playground_file(name: str) -> bytes:
    from importlib.resources import files

    return (files("rnnkit") / "playground" / name).read_bytes()


def _open(path: str) -> bool:
    """Paths served without a token: health, and the playground's own files (they hold
    no data; the page asks for the token before it calls the API)."""
    return path in ("/healthz", "/") or path.startswith("/playground/")


class TokenGate:
    """ASGI middleware: every HTTP request but /healthz and the playground's files needs
    ``Authorization: Bearer TOKEN`` (a plain ASGI wrapper: no cost beyond reading one
    header)."""

    def __init__(self, app, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send) -> None:
        gated = scope["type"] == "http" and not _open(scope["path"])
        if gated and dict(scope["headers"]).get(b"authorization") != self.expected:
            body = json.dumps({"error": "a valid token is needed", "field": "authorization"})
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app(scope, receive, send)


def _over(value: Any, cap: int) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or value > cap


def _field(message: str, data: dict) -> str:
    """The option a message names, else "options"."""
    for key in data:
        if key in message:
            return key
    return "options"


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    runs: Sequence[str], *, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
    workers: int = 1, limits: Limits | None = None,
) -> None:  # fmt: skip
    """Run the server (blocks). Binding beyond loopback needs a token."""
    _fastapi()
    import uvicorn

    token = token or os.environ.get("RNNKIT_TOKEN") or None
    if host not in LOOPBACK and not token:
        raise ConfigError(
            f"--host {host} opens the server beyond this machine: give a --token (or "
            "RNNKIT_TOKEN), checked on every request"
        )
    limits = limits or Limits()
    create_app(runs, limits=limits, token=token)  # every run loads, before binding the port
    os.environ[_ENV] = json.dumps(
        {"runs": [os.fspath(r) for r in runs], "token": token, "limits": vars(limits)}
    )
    uvicorn.run(
        "rnnkit.serve:app_from_env", factory=True, host=host, port=port,
        workers=max(1, workers), log_level="warning",
    )  # fmt: skip


_ENV = "RNNKIT_SERVE"


def app_from_env():
    """The app of :func:`serve`, rebuilt in each uvicorn worker process."""
    spec = json.loads(os.environ[_ENV])
    return create_app(spec["runs"], limits=Limits(**spec["limits"]), token=spec["token"])
