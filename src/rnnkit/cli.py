"""The ``rnnkit`` command: a thin layer over :func:`rnnkit.train` and :func:`rnnkit.load`.

Results go to stdout, progress and errors to stderr. Every usage error and bad
input exits with code 2 and one line on stderr.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import click

import rnnkit
from rnnkit.errors import RnnkitError

__all__ = ["main", "cli"]

TASK_NAMES = ("lm", "classify", "tag", "forecast", "seq2seq")


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(rnnkit.__version__, prog_name="rnnkit")
def cli() -> None:
    """Train, evaluate and use recurrent sequence models.

    Tasks: lm (language model), classify (text classification), tag (sequence
    tagging, NER/POS), forecast (time series), seq2seq (encoder-decoder).
    """


# -- train ---------------------------------------------------------------------------------
def _training_options(f):
    options = [
        click.option("--data", help="Training data (file or folder); default: the embedded data."),
        click.option(
            "--valid", help="Validation data; default: a part of --data held out by the task."
        ),
        click.option("--out", help="Run directory to create (default runs/TASK-TIMESTAMP)."),
        click.option("--config", "config_file", help="TOML config; flags override it."),
        click.option(
            "--resume", help="Continue the run in this directory from its last checkpoint."
        ),
        click.option(
            "--cell",
            type=click.Choice(["rnn", "lstm", "gru", "mingru", "minlstm"]),
            help="Recurrent cell.",
        ),
        click.option("--layers", "num_layers", type=int, help="Recurrent layers."),
        click.option("--hidden", "hidden_size", type=int, help="Hidden size H."),
        click.option("--embed", "embedding_dim", type=int, help="Embedding size E."),
        click.option(
            "--dropout",
            type=float,
            help="Dropout on embeddings, between layers, before the output.",
        ),
        click.option(
            "--bidirectional/--no-bidirectional",
            default=None,
            help="Read both ways (classify, tag, forecast, the seq2seq encoder; not lm).",
        ),
        click.option("--layer-norm/--no-layer-norm", default=None, help="Layer-normalised cells."),
        click.option(
            "--backend",
            type=click.Choice(["auto", "torch", "scratch"]),
            help="Fused torch kernels or the plain PyTorch cells (auto: torch when it can).",
        ),
        click.option(
            "--tokenizer",
            type=click.Choice(
                ["char", "byte", "codepoint", "word", "regex", "sentencepiece", "korean"]
            ),
            help="How text becomes tokens (lm, classify, seq2seq source; tag: predict's input).",
        ),
        click.option(
            "--min-freq",
            type=int,
            help="Tokens seen fewer times in the training data become <unk>.",
        ),
        click.option("--max-vocab", type=int, help="Keep only the most frequent tokens (<unk>)."),
        click.option(
            "--lowercase/--no-lowercase", default=None, help="Lowercase words (word tokenizer)."
        ),
        click.option("--batch-size", type=int, help="Sequences per batch."),
        click.option("--lr", type=float, help="Peak learning rate."),
        click.option("--warmup-steps", type=int, help="Linear warmup steps."),
        click.option("--optimizer", type=click.Choice(["adam", "adamw", "sgd"]), help="Optimiser."),
        click.option("--weight-decay", type=float, help="Weight decay (L2)."),
        click.option(
            "--schedule",
            type=click.Choice(["constant", "cosine", "step", "plateau"]),
            help="Learning-rate schedule after warmup.",
        ),
        click.option("--clip-grad-norm", type=float, help="Clip the gradient norm (0: off)."),
        click.option("--grad-accumulation", type=int, help="Batches per optimiser step."),
        click.option("--epochs", type=int, help="Passes over the training data."),
        click.option("--max-steps", type=int, help="Stop after this many optimiser steps."),
        click.option(
            "--time-budget",
            type=float,
            help="Stop after this many seconds of training (evaluations not counted).",
        ),
        click.option("--eval-every", type=int, help="Validate every N steps."),
        click.option("--checkpoint-every", type=int, help="Checkpoint every N steps."),
        click.option("--metric", help="Validation metric for early stopping and best weights."),
        click.option(
            "--early-stopping", type=int, help="Stop after N evaluations without improvement."
        ),
        click.option(
            "--keep-best/--keep-last", default=None, help="End with the best evaluated weights."
        ),
        click.option(
            "--ema",
            type=float,
            help="Evaluate and keep a moving average of the weights with this decay "
            "per step (e.g. 0.999; 0: off).",
        ),
        click.option("--init-from", help="Start from this run's weights (new optimiser)."),
        click.option(
            "--amp/--no-amp",
            default=None,
            help="Mixed precision: bf16 autocast on CUDA or a CPU with native bf16 "
            "(fp16 + scaler on older GPUs).",
        ),
        click.option(
            "--deterministic/--no-deterministic", default=None, help="Deterministic kernels only."
        ),
        click.option(
            "--tensorboard/--no-tensorboard", default=None, help="TensorBoard logs in RUN_DIR/tb."
        ),
        click.option("--seed", type=int, help="Random seed (same seed, same run)."),
        click.option(
            "--device",
            type=click.Choice(["auto", "cpu", "cuda", "mps"]),
            help="Where to train (auto: cuda, then mps, then cpu).",
        ),
        click.option(
            "--model",
            "kind",
            type=click.Choice(["rnn", "window", "ngram"]),
            help="lm: recurrent (default), fixed-window feed-forward, or Kneser-Ney n-gram.",
        ),
        click.option("--order", type=int, help="--model ngram: the longest n-gram."),
        click.option("--context", type=int, help="--model window: tokens in the window."),
        click.option(
            "--tie-weights/--no-tie-weights",
            default=None,
            help="lm: share embedding and output weights.",
        ),
        click.option("--bptt", type=int, help="lm: truncated BPTT length (tokens)."),
        click.option("--text-column", help="classify: text column of a TSV/CSV (name or 0-based)."),
        click.option("--label-column", help="classify: label column (name or 0-based)."),
        click.option(
            "--header/--no-header",
            default=None,
            help="classify, seq2seq: the first row names the columns (classify default: when a "
            "column is named).",
        ),
        click.option(
            "--pooling",
            type=click.Choice(["last", "max", "mean", "attention"]),
            help="classify: how the outputs become one vector per sequence.",
        ),
        click.option(
            "--ngrams",
            type=int,
            help="classify: add a hashed bag of the tokens' 1..N-grams (fastText-style; 0: off).",
        ),
        click.option(
            "--ngram-buckets", type=int, help="classify: rows of the n-gram bag's hashed table."
        ),
        click.option(
            "--class-weights",
            type=click.Choice(["balanced", "sqrt", "none"]),
            help="classify: weight the loss by n / (K * n_k) for imbalanced labels, its root, or not.",
        ),
        click.option(
            "--label-smoothing",
            type=float,
            help="classify: smooth the one-hot targets by this much (0-1).",
        ),
        click.option(
            "--format",
            type=click.Choice(["conll", "conllu"]),
            help="tag: data file format (default: by extension, .conllu is CoNLL-U).",
        ),
        click.option(
            "--tag-column", help="tag: CoNLL tag column (number, -1: last) or CoNLL-U upos/xpos."
        ),
        click.option(
            "--scheme",
            type=click.Choice(["auto", "BIO", "BIOES", "IO", "none"]),
            help="tag: the tags spell spans (BIO, BIOES, IO; checked) or not (none: POS).",
        ),
        click.option("--crf/--no-crf", default=None, help="tag: CRF head, or softmax per token."),
        click.option(
            "--char-embed", "char_embedding_dim", type=int, help="tag: character embedding size."
        ),
        click.option(
            "--char-hidden",
            "char_hidden_size",
            type=int,
            help="tag: character BiLSTM size per direction (0: no character encoder).",
        ),
        click.option(
            "--word-dropout",
            type=float,
            help="tag: training words -> <unk>; classify: training tokens' embeddings -> 0 (0-1).",
        ),
        click.option("--vectors", help="tag: word2vec/GloVe text file for the word embedding."),
        click.option(
            "--bucket/--no-bucket", default=None, help="tag: length-bucketed batches (default on)."
        ),
        click.option(
            "--series",
            type=click.Choice(["msft", "taylor"]),
            help="forecast: embedded series when --data is not given (default msft).",
        ),
        click.option("--features", help="forecast: input columns, e.g. Open,High,Low,Close."),
        click.option("--target", help="forecast: the column to predict (default: last feature)."),
        click.option(
            "--date-column", help="forecast: dates column (default: one named Date...; 'none')."
        ),
        click.option("--lookback", type=int, help="forecast: L, rows one window reads."),
        click.option("--horizon", type=int, help="forecast: T_out, rows predicted after it."),
        click.option(
            "--strategy",
            type=click.Choice(["direct", "recursive"]),
            help="forecast: one head for all T_out steps, or one step rolled forward.",
        ),
        click.option(
            "--scaler",
            type=click.Choice(["standard", "minmax", "none"]),
            help="forecast: scaling fit on the training rows only.",
        ),
        click.option(
            "--transform",
            type=click.Choice(["levels", "returns", "diff"]),
            help="forecast: model the levels, the returns or the differences.",
        ),
        click.option(
            "--window-norm",
            type=click.Choice(["last", "last_scale", "none"]),
            help="forecast: subtract each window's last row (default for levels).",
        ),
        click.option(
            "--highway/--no-highway",
            default=None,
            help="forecast: add a linear map from the window to the outputs (default on).",
        ),
        click.option(
            "--patch", type=int, help="forecast: rows per recurrent step (default lookback/14)."
        ),
        click.option("--season", type=int, help="forecast: rows per season (seasonal naive)."),
        click.option("--valid-fraction", type=float, help="forecast: share of valid rows."),
        click.option("--test-fraction", type=float, help="forecast: share of test rows (last)."),
        click.option(
            "--target-tokenizer",
            type=click.Choice(["char", "byte", "codepoint", "word", "sentencepiece", "korean"]),
            help="seq2seq: the target side's tokenizer (default: as --tokenizer).",
        ),
        click.option(
            "--attention",
            type=click.Choice(["none", "additive", "dot", "general"]),
            help="seq2seq: the decoder's attention over the source (none: final states only).",
        ),
        click.option(
            "--teacher-forcing",
            type=float,
            help="seq2seq: probability of feeding the true previous token in training (0-1).",
        ),
        click.option(
            "--beam", type=int, help="seq2seq: beam width of predict/evaluate (1 greedy)."
        ),
        click.option(
            "--max-target-length", type=int, help="seq2seq: decoding stops after this many tokens."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


FORECAST_WINDOW = """\b
forecast, one sample (--lookback 4 --horizon 2; Open, High, Low, Close -> Close):
  row     t-3   t-2   t-1    t   | t+1   t+2
  x      [OHLC  OHLC  OHLC  OHLC]|
  y                              | [ C     C ]
         <----- lookback 4 ----->|<- horizon 2 ->
"""


@cli.command(epilog=FORECAST_WINDOW)
@click.argument("task", type=click.Choice(TASK_NAMES), metavar="TASK")
@_training_options
def train(task, config_file, out, resume, **options) -> None:
    """Train a model for TASK; prints the run directory and final metrics as JSON.

    TASK is one of lm, classify, tag, forecast, seq2seq; without --data it trains on
    the task's embedded data. Flags marked "lm:", "tag:", ... are read by that task
    only (another task rejects them).
    """
    predictor = rnnkit.train(task, config=config_file, out=out, resume=resume, **options)
    metrics = predictor.run.read_metrics()
    final = metrics[-1] if metrics else {}
    click.echo(_json({"run_dir": str(predictor.run.path), **final}))


# -- evaluate ------------------------------------------------------------------------------
@cli.command()
@click.argument("run_dir")
@click.option(
    "--protocol",
    type=click.Choice(["carry", "fresh"]),
    help="lm: carry the state through the text (default) or start each BPTT window fresh.",
)
@click.option("--data", help="Score this file instead of the run's validation split.")
@click.option(
    "--beam", type=click.IntRange(min=1), help="seq2seq: beam width (default: the run's)."
)
def evaluate(run_dir, data, protocol, beam) -> None:
    """Print one JSON object of metrics for RUN_DIR."""
    from rnnkit.data.readers import read_text

    predictor = rnnkit.load(run_dir)
    if beam is not None and predictor.task != "seq2seq":
        raise click.UsageError("--beam is for seq2seq runs")
    if predictor.task != "lm":
        if protocol is not None:
            raise click.UsageError("--protocol is for language-model runs")
        if predictor.task == "seq2seq":
            click.echo(_json(predictor.evaluate(data=data, beam=beam)))
            return
        # labelled files are read by the task
        click.echo(_json(predictor.evaluate(data=data) if data else predictor.evaluate()))
        return
    text = read_text(data) if data is not None else None
    click.echo(_json(predictor.evaluate(text, protocol=protocol or "carry")))


# -- predict -------------------------------------------------------------------------------
@cli.command()
@click.argument("run_dir")
@click.argument("inputs", nargs=-1, metavar="[INPUT ...]")
@click.option(
    "--data",
    help="A file of inputs, one per line (blank lines skipped); forecast: a CSV of recent rows.",
)
@click.option(
    "--top-k",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="classify: the K most likely labels.",
)
@click.option(
    "--beam",
    type=click.IntRange(min=1),
    help="seq2seq: beam width (default: the run's, 1 = greedy); prints input and output.",
)
def predict(run_dir, inputs, data, top_k, beam) -> None:
    """Print one JSON line per INPUT (and per line of --data) with its prediction."""
    from rnnkit.data.readers import read_text

    predictor = rnnkit.load(run_dir)
    if not hasattr(predictor, "predict"):
        hint = "; use generate" if predictor.task == "lm" else ""
        raise click.UsageError(f"{run_dir} is a {predictor.task!r} run, which cannot predict{hint}")
    if predictor.task in ("forecast", "seq2seq") and top_k != 1:
        raise click.UsageError("--top-k is for classify runs")
    if predictor.task == "forecast":  # the inputs are CSV files of recent rows
        if beam is not None:
            raise click.UsageError("--beam is for seq2seq runs")
        files = [*inputs, *([data] if data is not None else [])]
        if not files:
            raise click.UsageError("give the recent rows as a CSV file: --data recent.csv")
        for result in predictor.predict(files):
            click.echo(_json(result))
        return
    texts = list(inputs)
    if data is not None:
        texts += [line.strip() for line in read_text(data).splitlines() if line.strip()]
    if not texts:
        raise click.UsageError("give the inputs as arguments or in a file with --data")
    if predictor.task == "seq2seq":
        results = predictor.predict(texts, beam=beam)
    elif beam is not None:
        raise click.UsageError("--beam is for seq2seq runs")
    else:
        results = predictor.predict(texts, top_k=top_k)
    for result in results:
        click.echo(_json(result))


# -- generate ------------------------------------------------------------------------------
@cli.command()
@click.argument("run_dir")
@click.option("--prompt", default="", help="Text that primes the state.")
@click.option("--max-new", default=500, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--temperature",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="0 is greedy.",
)
@click.option("--top-k", type=click.IntRange(min=1))
@click.option("--top-p", type=click.FloatRange(min=0.0, max=1.0, min_open=True))
@click.option("--seed", type=int, help="Same seed, same text.")
def generate(run_dir, prompt, max_new, temperature, top_k, top_p, seed) -> None:
    """Stream text from a language model run, the prompt first."""
    predictor = rnnkit.load(run_dir)
    if predictor.task != "lm":
        raise click.UsageError(f"{run_dir} is a {predictor.task!r} run; generate needs an 'lm' run")
    out = click.get_text_stream("stdout")
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
    text = predictor.generate(spec["prompt"], max_new=500, temperature=0.8, seed=1)
    click.echo(text)


# -- info ----------------------------------------------------------------------------------
@cli.command()
def info() -> None:
    """Print versions, device and threads as JSON."""
    import numpy
    import torch

    from rnnkit.training.trainer import resolve_device

    click.echo(
        _json(
            {
                "rnnkit": rnnkit.__version__,
                "python": platform.python_version(),
                "platform": platform.platform(),
                "torch": torch.__version__,
                "numpy": numpy.__version__,
                "device": str(resolve_device("auto")),
                "cuda": torch.version.cuda,
                "cuda_available": torch.cuda.is_available(),
                "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
                "threads": torch.get_num_threads(),
                "cpu_count": os.cpu_count(),
            }
        )
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every expected error into one stderr line."""
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
