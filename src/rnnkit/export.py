"""``rnnkit export RUN --format onnx``: a trained run's networks as ONNX graphs (the
``export`` extra: onnx, onnxruntime, onnxscript).

Each task declares its graphs (:meth:`rnnkit.tasks.Task.export_graphs`): modules on
the padded, masked path of :mod:`rnnkit.models.exportable`, example inputs and the
free axes; a task that declares none, or a configuration with no loop-free path
(the scratch backend, layer norm, minGRU), is refused in one line. The output is a
folder that needs no rnnkit::

    OUT/
      NAME.onnx     one graph a network: step.onnx (lm), model.onnx (classify, tag,
                    forecast), encoder.onnx and decoder.onnx (seq2seq)
      export.json   each graph's inputs and outputs (element type, shape, free axes
                    named), and what the task says about them (labels, special ids)
      config.json, tokenizer.json, vocab.json, ...   the run's config and assets

Every graph is checked once written: onnxruntime on the example inputs gives
PyTorch's outputs within 1e-4, or the export fails.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from rnnkit.errors import ConfigError, RnnkitError

__all__ = ["export", "FORMATS", "TOLERANCE"]

FORMATS = ("onnx",)
#: the largest difference allowed between onnxruntime's outputs and PyTorch's
TOLERANCE = 1e-4
_OPSET = 18


def _require_extra() -> None:
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise ConfigError(
            "rnnkit export needs onnx, onnxruntime and onnxscript: pip install 'rnnkit[export]'"
        ) from None


def export(
    run_dir: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    format: str = "onnx",
    check: bool = True,
) -> Path:
    """Write the networks of the run ``run_dir`` as ONNX graphs into the folder ``out``
    (default ``RUN/onnx``) with ``export.json`` and the run's assets; returns ``out``.
    ``out`` is new, empty or an earlier export (which is replaced); any other folder is
    refused, so that an export never writes over a run or other files.

    Example:
        >>> from rnnkit.export import export
        >>> export("runs/names", "names-onnx")  # doctest: +SKIP
    """
    if format not in FORMATS:
        raise ConfigError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
    _require_extra()
    from rnnkit.tasks.base import get_task, load

    predictor = load(run_dir)
    task = get_task(predictor.task)
    graphs = task.export_graphs(predictor)  # refuses what cannot export, before writing
    folder = Path(out) if out is not None else predictor.run.path / "onnx"
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "export.json").is_file():
        # an earlier export is replaced; anything else (a run, a project) is not touched
        raise ConfigError(
            f"{folder}: not empty and not an earlier export (no export.json); "
            "export into a new or empty folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    described = {}
    for graph in graphs:
        path = folder / f"{graph.name}.onnx"
        _to_onnx(graph, path)
        if check:
            _check(graph, path)
        signature = _signature(path)
        for value in signature["inputs"]:
            for axis, name in graph.axes.get(value["name"], {}).items():
                if not isinstance(value["shape"][axis], str):
                    raise RnnkitError(
                        f"{path}: the {name} axis of {value['name']} was fixed at "
                        f"{value['shape'][axis]} by the exporter; this model cannot export"
                    )
        described[graph.name] = {"file": path.name, "doc": graph.doc, **signature}
    assets = predictor.assets.to_files() if predictor.assets is not None else {}
    for name in ["config.json", *assets]:
        shutil.copyfile(predictor.run.file(name), folder / name)
    manifest = {
        "format": "onnx",
        "opset": _OPSET,
        "task": predictor.task,
        "graphs": described,
        "assets": sorted(assets),
        "info": task.export_info(predictor),
    }
    (folder / "export.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return folder


@contextlib.contextmanager
def _quiet():
    """The exporter's progress lines and warnings off (results go to stdout)."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(None):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _dynamic_shapes(graph) -> tuple:  # noqa: ANN001
    """torch.export's dynamic shapes of ``graph.inputs``, in the forward's layout
    (the inputs taken by ``*args`` as one tuple), one Dim per axis name."""
    import torch

    dims: dict[str, Any] = {}

    def spec(name: str) -> dict:
        axes = graph.axes.get(name, {})
        return {i: dims.setdefault(a, torch.export.Dim(a)) for i, a in axes.items()}

    names = list(graph.inputs)
    out: list = []
    for p in inspect.signature(graph.module.forward).parameters.values():
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            if len(out) < len(names):  # none when the graph takes no optional inputs
                out.append(tuple(spec(n) for n in names[len(out) :]))
            break
        out.append(spec(names[len(out)]))
    return tuple(out)


def _to_onnx(graph, path: Path) -> None:  # noqa: ANN001
    import torch

    args = tuple(graph.inputs.values())
    for op in (torch.ops.aten.lstm.input, torch.ops.aten.gru.input):
        # torch.onnx swaps in a loop-free decomposition of these ops while it exports; a
        # dispatch cached by an eager call since the last export would bypass it (and
        # fix the length axis), so the cache is cleared first
        op._dispatch_cache.clear()
    try:
        with _quiet(), torch.no_grad():
            torch.onnx.export(
                graph.module.eval(),
                args,
                str(path),
                input_names=list(graph.inputs),
                output_names=list(graph.outputs),
                dynamic_shapes=_dynamic_shapes(graph),
                opset_version=_OPSET,
                dynamo=True,
                external_data=False,
            )
    except (RuntimeError, ValueError, TypeError) as e:  # torch.export's own errors
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise RnnkitError(f"{path.name}: torch.onnx.export failed ({reason})") from None


def _check(graph, path: Path) -> None:  # noqa: ANN001
    """onnxruntime on the example inputs against the module's own outputs."""
    import numpy as np
    import onnxruntime
    import torch

    with torch.no_grad():
        expected = graph.module(*graph.inputs.values())
    expected = expected if isinstance(expected, tuple) else (expected,)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(list(graph.outputs), {k: v.numpy() for k, v in graph.inputs.items()})
    for name, a, b in zip(graph.outputs, got, expected):
        gap = float(np.abs(a - b.detach().numpy()).max()) if a.size else 0.0
        if a.shape != tuple(b.shape) or not gap <= TOLERANCE:
            raise RnnkitError(
                f"{path}: onnxruntime's {name} differs from PyTorch's (max gap {gap:.2e}, "
                f"shapes {a.shape} and {tuple(b.shape)})"
            )


def _signature(path: Path) -> dict:
    """The inputs and outputs of an ONNX graph: name, element type, shape (free axes
    by name)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)

    def describe(value) -> dict:  # noqa: ANN001
        t = value.type.tensor_type
        shape = [d.dim_param or d.dim_value for d in t.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type).name
        return {"name": value.name, "dtype": dtype, "shape": shape}

    return {
        "inputs": [describe(v) for v in model.graph.input],
        "outputs": [describe(v) for v in model.graph.output],
    }
