"""The ``rnnkit`` command: a thin layer over :func:`rnnkit.train` and :func:`rnnkit.load`.

Nothing here knows a task by name: ``rnnkit train TASK`` is one subcommand per
registered task, its flags generated from the fields of the task's config
(:mod:`rnnkit.options`); ``predict`` and ``evaluate`` take the options their run's
predictor declares. Results go to stdout, progress and errors to stderr; every
usage error and bad input exits with code 2 and one line on stderr.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings
from pathlib import Path

import click

import rnnkit
from rnnkit.errors import RnnkitError
from rnnkit.options import SEED_MAX, TrainGroup, TuneGroup, options_of, run_command, to_json

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(rnnkit.__version__, prog_name="rnnkit")
def cli() -> None:
    """Train, evaluate and use recurrent sequence models (``rnnkit train --help`` lists
    the tasks)."""


# -- train and tune: one command per registered task, generated (rnnkit.options) ----------
cli.add_command(TrainGroup("train", help="Train a model for TASK (``rnnkit train TASK --help``)."))
cli.add_command(
    TuneGroup("tune", help="Search hyperparameters for TASK (``rnnkit tune TASK --help``).")
)


# -- evaluate and predict: the run's predictor declares the options ------------------------
@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("run_dir")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def evaluate(run_dir, args) -> None:
    """Print one JSON object of metrics for RUN_DIR (on its held-out data, or --data FILE).

    ``rnnkit evaluate RUN_DIR --help`` shows the options of that run's task."""
    predictor = rnnkit.load(run_dir)

    def score(data=None, **options) -> None:
        click.echo(to_json(predictor.evaluate(data, **options)))

    extra = [click.Option(["--data"], help="Score this file instead of the run's held-out data.")]
    run_command("evaluate", score, extra + options_of(predictor.EvaluateOptions), args)


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("run_dir")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def predict(run_dir, args) -> None:
    """Print one JSON line per INPUT (and per input of --data) with its prediction.

    ``rnnkit predict RUN_DIR --help`` shows the options of that run's task."""
    predictor = rnnkit.load(run_dir)

    def run(inputs=(), data=None, **options) -> None:
        items = [predictor.parse_input(text) for text in inputs]
        if data is not None:
            items += predictor.read_inputs(data)
        if not items:
            raise click.UsageError("give the inputs as arguments or in a file with --data")
        for result in predictor.predict(items, **options):
            click.echo(to_json(result))

    extra = [
        click.Argument(["inputs"], nargs=-1),
        click.Option(["--data"], help="A file of inputs (text tasks: one per line)."),
    ]
    run_command("predict", run, extra + options_of(predictor.PredictOptions), args)


# -- serve ---------------------------------------------------------------------------------
@cli.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN [RUN ...]")
@click.option("--host", default="127.0.0.1", show_default=True, help="Beyond loopback: --token.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--token", help="Required on every request but /healthz (or RNNKIT_TOKEN).")
@click.option("--max-inputs", default=64, show_default=True, type=click.IntRange(min=1))
@click.option("--max-chars", default=10_000, show_default=True, type=click.IntRange(min=1))
@click.option("--max-new", default=2_000, show_default=True, type=click.IntRange(min=1))
@click.option("--max-body", default=1 << 20, show_default=True, type=click.IntRange(min=1))
@click.option("--max-batch", default=32, show_default=True, type=click.IntRange(min=1),
              help="Inputs answered by one forward pass (1: no micro-batching).")  # fmt: skip
@click.option("--max-wait-ms", default=5.0, show_default=True, type=click.FloatRange(0, 60_000),
              help="How long the first input of a batch waits for more.")  # fmt: skip
def serve(runs, host, port, workers, token, max_batch, max_wait_ms, **limit) -> None:
    """Serve runs over HTTP (the serve extra): /v1/models, predict, generate, /docs."""
    from rnnkit.serve import Limits
    from rnnkit.serve import serve as run_server

    limits = Limits(**limit, max_batch=max_batch, max_wait_ms=max_wait_ms)
    run_server(runs, host=host, port=port, token=token, workers=workers, limits=limits)


# -- export --------------------------------------------------------------------------------
@cli.command("export")
@click.argument("run_dir")
@click.option("--format", "fmt", default="onnx", show_default=True, type=click.Choice(["onnx"]))
@click.option("--out", help="The folder to write (default RUN_DIR/onnx).")
def export_run(run_dir, fmt, out) -> None:
    """Write RUN_DIR's networks as ONNX graphs, with export.json and its assets (the
    export extra); prints the folder."""
    from rnnkit.export import export

    click.echo(export(run_dir, out, format=fmt))


# -- generate ------------------------------------------------------------------------------
@cli.command()
@click.argument("run_dir")
@click.option("--prompt", default="", help="Text that primes the state.")
@click.option("--max-new", default=500, show_default=True, type=click.IntRange(min=0))
@click.option("--temperature", default=1.0, show_default=True, type=click.FloatRange(min=0.0))
@click.option("--top-k", type=click.IntRange(min=1))
@click.option("--top-p", type=click.FloatRange(min=0.0, max=1.0, min_open=True))
@click.option("--seed", type=click.IntRange(0, SEED_MAX), help="Same seed, same text.")
def generate(run_dir, prompt, max_new, temperature, top_k, top_p, seed) -> None:
    """Stream text from a language model run, the prompt first."""
    predictor = rnnkit.load(run_dir)
    if not hasattr(predictor, "stream"):
        raise click.UsageError(f"{run_dir} is a {predictor.task!r} run, which does not generate")
    out = sys.stdout
    out.write(prompt)
    for piece in predictor.stream(
        prompt, max_new, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed
    ):
        out.write(piece)
        out.flush()
    out.write("\n")


# -- demo ----------------------------------------------------------------------------------
DEMOS = {
    "shakespeare": {
        "task": "lm",
        "options": {"time_budget": 120.0, "eval_every": 100},
        "prompt": "ROMEO:\n",
        "about": "a char-level LSTM trained for two minutes on the embedded Shakespeare",
    }
}


@cli.command()
@click.argument("name", default="shakespeare", type=click.Choice(sorted(DEMOS)))
@click.option("--time-budget", type=float, help="Training seconds (default 120).")
@click.option("--out", help="Run directory (default runs/demo-NAME-TIMESTAMP).")
def demo(name, time_budget, out) -> None:
    """Train an embedded example end to end and show what it learned."""
    spec = DEMOS[name]
    options = dict(spec["options"])
    if time_budget is not None:
        options["time_budget"] = time_budget
    out = out or str(Path("runs") / f"demo-{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    click.echo(f"rnnkit demo {name}: {spec['about']} -> {out}", err=True)
    predictor = rnnkit.train(spec["task"], out=out, **options)
    final = predictor.run.read_metrics()[-1]
    click.echo(
        f"valid loss {final['valid_loss']:.3f} nats/char after {final['step']} steps", err=True
    )
    click.echo(f"--- sample (temperature 0.8, seed 1) from {out} ---", err=True)
    click.echo(predictor.generate(spec["prompt"], max_new=500, temperature=0.8, seed=1))


# -- info ----------------------------------------------------------------------------------
@cli.command()
def info() -> None:
    """Print versions, device, threads and the registered tasks as JSON."""
    import numpy
    import torch

    from rnnkit.tasks.base import task_names
    from rnnkit.training.trainer import resolve_device

    cuda = torch.cuda.is_available()
    click.echo(
        to_json(
            {
                "rnnkit": rnnkit.__version__,
                "python": platform.python_version(),
                "platform": platform.platform(),
                "torch": torch.__version__,
                "numpy": numpy.__version__,
                "device": str(resolve_device("auto")),
                "cuda": torch.version.cuda,
                "cuda_available": cuda,
                "cudnn": torch.backends.cudnn.version() if cuda else None,
                "threads": torch.get_num_threads(),
                "cpu_count": os.cpu_count(),
                "tasks": task_names(),
            }
        )
    )


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"rnnkit: warning: {message}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every expected error into one stderr line."""
    warnings.showwarning = _warn  # one line each, without the source line
    try:
        cli.main(args=argv, prog_name="rnnkit", standalone_mode=False)
    except click.exceptions.Exit as e:  # --help, --version
        sys.exit(e.exit_code)
    except click.ClickException as e:
        click.echo(f"rnnkit: error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        click.echo(
            "rnnkit: interrupted; training state was saved (continue with --resume RUN_DIR)",
            err=True,
        )
        sys.exit(130)
    except RnnkitError as e:
        click.echo(f"rnnkit: error: {e}", err=True)
        sys.exit(e.exit_code)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(1)
    except OSError as e:  # a path given that cannot be read or written, a full disk
        where = f"{e.filename}: " if e.filename else ""
        click.echo(f"rnnkit: error: {where}{e.strerror or e}", err=True)
        sys.exit(2)
    except MemoryError:
        click.echo("rnnkit: error: out of memory; try a smaller model or batch", err=True)
        sys.exit(2)
    except ValueError as e:  # os and open() refuse a path with a NUL byte before any OSError
        if "null byte" not in str(e):
            raise
        click.echo("rnnkit: error: a path given has a NUL byte in it", err=True)
        sys.exit(2)
