"""Language modelling: text -> tokens -> next-token prediction with truncated BPTT."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.baselines.ngram import KneserNeyLM
from rnnkit.config import (
    SEED_MAX,
    RunConfig,
    Section,
    TextDataConfig,
    TextModelConfig,
    TrainConfig,
    option,
    override,
    with_defaults,
)
from rnnkit.data import embedded
from rnnkit.data.datasets import LMStream
from rnnkit.data.readers import read_text
from rnnkit.data.token_cache import TextSpan, encode_span, split_span
from rnnkit.data.tokenizers import Tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.generate import module_device, stream_generate
from rnnkit.metrics import bits_per_token, perplexity
from rnnkit.models.exportable import LMStep, state_names
from rnnkit.models.language_model import RNNLanguageModel
from rnnkit.models.window_lm import WindowLanguageModel
from rnnkit.tasks.base import (
    Assets,
    ExportGraph,
    Predictor,
    Splits,
    Task,
    check_texts,
    make_text_tokenizer,
    read_source,
    register,
    require_tokens,
    rows_of,
    source_name,
)
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
    "LMConfig",
    "LMModelConfig",
    "LMDataConfig",
    "LanguageModelTask",
    "LanguageModelPredictor",
    "LMAssets",
    "LMData",
    "evaluate_lm",
]

EVAL_BATCH_SIZE = 16
CHAR_LEVEL = ("char", "codepoint")
PROTOCOLS = ("carry", "fresh")  # evaluation: state carried through the text, or reset per window
FIT_SAMPLE_BLOCKS = 16  # sentencepiece learns its pieces from the first ~16 MB
#: A vocabulary of this many tokens or more (words, subwords) gets the word-level sizes:
#: tied weights, embeddings of the hidden size, dropout 0.5 (LMModelConfig).
WORD_LEVEL_VOCAB = 1000


# -- config --------------------------------------------------------------------------------
@dataclass
class LMModelConfig(TextModelConfig):
    kind: str = option(
        "rnn",
        "Recurrent, fixed-window feed-forward (Bengio et al. 2003) or Kneser-Ney n-gram.",
        choices=("rnn", "window", "ngram"),
        flag="model",
    )
    order: int = option(7, "--model ngram: the longest n-gram.", low=1, high=64)
    context: int = option(5, "--model window: tokens in the window.", low=1)
    # None: chosen from the vocabulary once it is built (resolve_sizes, in fit_assets)
    embedding_dim: int | None = override(
        TextModelConfig, "embedding_dim", None, none="64; the hidden size when tied"
    )
    dropout: float | None = override(
        TextModelConfig, "dropout", None, none=f"0.1; 0.5 for {WORD_LEVEL_VOCAB:,}+ tokens"
    )
    tie_weights: bool | None = option(
        None,
        "Share the embedding and output weights (Press & Wolf 2017).",
        none=f"yes for a vocabulary of {WORD_LEVEL_VOCAB:,}+ tokens",
    )

    def resolve_sizes(self, vocab_size: int) -> None:
        """Fill the sizes left to the data. Characters (a small vocabulary): 64-d
        embeddings, dropout 0.1, untied. Words or subwords (``WORD_LEVEL_VOCAB`` tokens
        or more), where the output layer is most of the model and the data are few
        tokens per parameter: the output layer tied to the embedding (so embeddings of
        the hidden size) and dropout 0.5, as Zaremba et al. (2014, medium) and
        Press & Wolf (2017) do on PTB (docs/lm.md has the figures on WikiText-2)."""
        words = vocab_size >= WORD_LEVEL_VOCAB
        if self.tie_weights is None:
            self.tie_weights = words and self.kind == "rnn"
        if self.embedding_dim is None:
            self.embedding_dim = self.hidden_size if self.tie_weights else 64
        if self.dropout is None:
            self.dropout = 0.5 if words else 0.1


@dataclass
class LMDataConfig(TextDataConfig):
    bptt: int = option(64, "Truncated BPTT length (tokens).", low=1)
    reverse: bool = option(
        False,
        "A backward LM: the text is read right to left (training and evaluation; "
        "it does not generate). For --char-lm.",
    )


@dataclass
class LMConfig(RunConfig):
    """A language model: a char-LSTM by default, trained on the embedded Shakespeare."""

    task: str = "lm"
    model: LMModelConfig = with_defaults(LMModelConfig)
    data: LMDataConfig = with_defaults(LMDataConfig)
    train: TrainConfig = with_defaults(TrainConfig)


# -- data ----------------------------------------------------------------------------------
@dataclass
class LMAssets(Assets):
    tokenizer: Tokenizer
    vocab: Vocab

    def to_files(self) -> dict[str, Any]:
        return {"tokenizer.json": self.tokenizer.to_dict(), "vocab.json": self.vocab.to_dict()}

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> LMAssets:
        return cls(tokenizer_from_dict(read("tokenizer.json")), Vocab.from_dict(read("vocab.json")))

    def sizes(self) -> dict[str, int]:
        return {"vocab_size": len(self.vocab)}


@dataclass
class LMData:
    train_ids: Tensor  # (T,) int64
    valid_ids: Tensor  # (T_valid,) int64
    train_source: str
    valid_source: str


Text = str | TextSpan  # a text in memory, or a part of a file streamed from disk


def read_corpus(path: str) -> Text:
    """A text file as a span streamed from disk; a folder of ``.txt`` files in memory."""
    return read_text(path) if Path(path).is_dir() else TextSpan(path)


def read_splits(config: RunConfig) -> Splits:
    """The training and validation text (one record each): embedded Shakespeare, or files
    (streamed: see :mod:`rnnkit.data.token_cache`).

    Without ``valid``, the last 10% of ``data`` (cut after a line) is the validation text.
    """
    d = config.data
    if d.data is None:
        if d.valid is not None:
            valid = read_source(config, "valid", read_corpus)
            return Splits([embedded.load("shakespeare")], [valid], "shakespeare", "valid")
        return Splits(
            [embedded.load("shakespeare", "train")],
            [embedded.load("shakespeare", "valid")],
            "shakespeare (train split)",
            "shakespeare (valid split)",
        )
    train = read_source(config, "data", read_corpus)
    if d.valid is not None:
        valid = read_source(config, "valid", read_corpus)
        return Splits([train], [valid], source_name(d.data, "data"), source_name(d.valid, "valid"))
    if isinstance(train, str):  # a folder read in memory, or text passed in memory
        text = train
        cut = text.rfind("\n", 0, int(len(text) * 0.9)) + 1 or int(len(text) * 0.9)
        if cut == 0 or cut >= len(text):
            cut = int(len(text) * 0.9)
        name = source_name(d.data, "data")
        return Splits([text[:cut]], [text[cut:]], name, f"{name} (last 10%)")
    train, valid = split_span(d.data)
    return Splits([train], [valid], d.data, f"{d.data} (last 10%)")


def text_of(text: Text) -> str:
    """The text in memory (a file span is read whole)."""
    return text if isinstance(text, str) else "".join(text.blocks())


def reverse_text(text: Text) -> str:
    """The text right to left, for a backward LM (``reverse``)."""
    return text_of(text)[::-1]


def blocks(text: Text) -> Iterator[str]:
    """A text block by block (a string is one block)."""
    return iter([text]) if isinstance(text, str) else text.blocks()


def encode_text(text: Text, tokenizer: Tokenizer, vocab: Vocab) -> Tensor:
    """The ids of a text: int64 in memory, or memory-mapped (narrow) for a file span."""
    if isinstance(text, TextSpan):
        return encode_span(text, tokenizer, vocab)
    return encode(text, tokenizer, vocab)


def encode(text: str, tokenizer: Tokenizer, vocab: Vocab) -> Tensor:
    return torch.tensor(tokenizer.encode(text, vocab), dtype=torch.long)  # (T,)


@torch.no_grad()
def evaluate_lm(
    model: nn.Module,
    ids: Tensor,
    *,
    bptt: int,
    batch_size: int = EVAL_BATCH_SIZE,
    max_batches: int | None = None,
    char_level: bool = False,
    protocol: str = "carry",
) -> dict[str, float]:
    """Mean next-token loss (nats) over a stream.

    The text is cut into ``batch_size`` contiguous rows (see
    :func:`~rnnkit.data.datasets.batchify`) read in windows of ``bptt`` tokens.
    ``protocol="carry"`` carries the state across windows, so every token but the
    first of each row is scored with all its row's context; ``protocol="fresh"``
    starts every window from a zero state (the figure toolkits that evaluate
    fixed-length windows report; higher, since each window starts blind).
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    carry = protocol == "carry"
    if isinstance(model, NGramLanguageModel):  # counts, not a network: score the stream at once
        if carry:
            log_probs = model.lm.log_prob(ids.numpy())[1:]  # the first token has no history
        else:
            log_probs = np.concatenate(
                [model.lm.log_prob(w.numpy())[1:] for w in ids.split(bptt + 1)]
            )
        total, count = float(-log_probs.sum()), int(log_probs.size)
    else:
        total, count = _stream_nll(model, ids, bptt, batch_size, max_batches, carry)
    loss = total / max(count, 1)
    metrics = {"loss": loss, "perplexity": perplexity(loss)}
    if char_level:
        metrics["bits_per_char"] = bits_per_token(loss)
    metrics["tokens"] = count
    return metrics


def _stream_nll(model, ids, bptt, batch_size, max_batches, carry=True) -> tuple[float, int]:
    batch_size = max(1, min(batch_size, ids.numel() // 2))
    stream = LMStream(ids, batch_size, bptt)
    device = module_device(model)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for i in range(len(stream) if max_batches is None else min(max_batches, len(stream))):
            x, y = (t.to(device) for t in stream[i])  # (N, L)
            logits, state = model(x, state if carry else None)  # (N, L, V)
            total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
            count += y.numel()
    finally:
        model.train(was_training)
    return total, count


class NGramLanguageModel(nn.Module):
    """A fitted :class:`~rnnkit.baselines.ngram.KneserNeyLM` behind the language
    models' call contract, so that generation and evaluation treat it like a network.

    Its "state" is the last ``order - 1`` ids; its logits are log-probabilities.

    Shape:
        x: (N, L) int64 -> logits (N, L, V) float32.
    """

    def __init__(self, lm: KneserNeyLM) -> None:
        super().__init__()
        self.lm = lm

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        N, L = x.shape
        history = torch.zeros(N, 0, dtype=torch.long) if state is None else state.cpu()
        ids = torch.cat([history, x.cpu()], dim=1)  # (N, H + L)
        h = history.size(1)
        probs = np.stack(
            [
                self.lm.next_token_distribution(ids[n, : h + t + 1].numpy())
                for n in range(N)
                for t in range(L)
            ]
        )  # (N * L, V)
        logits = torch.from_numpy(np.log(probs)).float().view(N, L, -1)  # (N, L, V)
        keep = max(self.lm.order - 1, 0)
        return logits, ids[:, ids.size(1) - keep :]

    def step(self, token: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One generation step: token (N,) -> logits (N, V), and the new state."""
        logits, state = self(token.unsqueeze(1), state)  # (N, 1, V)
        return logits[:, -1], state


class LMProgram:
    """The :class:`~rnnkit.training.trainer.TrainingProgram` of a language model."""

    def __init__(
        self, data: LMData, config: RunConfig, device: torch.device, dist: DistInfo | None = None
    ) -> None:
        self.data = data
        self.config = config
        self.device = device
        ids = data.train_ids
        if (
            dist is not None and dist.enabled
        ):  # each rank reads its own contiguous piece of the stream
            piece = ids.numel() // dist.world_size
            ids = ids[dist.rank * piece : (dist.rank + 1) * piece]
        self.stream = LMStream(
            ids, config.data.batch_size, config.data.bptt, source=data.train_source
        )
        self.char_level = config.data.tokenizer in CHAR_LEVEL

    def batches(self, epoch: int) -> LMStream:
        return self.stream

    def step(self, model: nn.Module, batch, state) -> StepOutput:
        x, y = (t.to(self.device, non_blocking=True) for t in batch)  # (N, L)
        logits, state = model(x, state)  # (N, L, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        return StepOutput(loss, y.numel(), state)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        return evaluate_lm(
            model,
            self.data.valid_ids,
            bptt=self.config.data.bptt,
            max_batches=max_batches,
            char_level=self.char_level,
        )


@dataclass
class GenerateOptions(Section):
    """The options of a language model's ``predict`` (a continuation of each prompt)."""

    section: ClassVar[str] = "options"
    max_new: int = option(200, "Tokens to generate after each prompt.", low=0)
    temperature: float = option(1.0, "Sampling temperature (0: greedy).", low=0)
    top_k: int | None = option(None, "Sample among the K most likely tokens.", low=1, none="all")
    top_p: float | None = option(
        None,
        "Sample among the most likely tokens that reach this mass.",
        low=0,
        high=1,
        low_open=True,
        none="all",
    )
    seed: int | None = option(None, "Same seed, same text.", low=0, high=SEED_MAX, none="random")


@dataclass
class LMEvaluateOptions(Section):
    section: ClassVar[str] = "options"
    protocol: str = option(
        "carry",
        "Carry the state through the text, or start each BPTT window fresh.",
        choices=PROTOCOLS,
    )


class LanguageModelPredictor(Predictor):
    """A trained language model: generate, score text, next-token probabilities.

    Example:
        >>> lm = rnnkit.load("runs/lm-demo")  # doctest: +SKIP
        >>> lm.generate("ROMEO:", max_new=200, temperature=0.8, seed=1)  # doctest: +SKIP
    """

    task = "lm"
    input_schema: ClassVar[dict] = {
        "type": "string",
        "description": "a prompt that primes the state",
        "examples": ["ROMEO:", ""],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {"input": {"type": "string"}, "output": {"type": "string"}},
        "required": ["input", "output"],
        "description": "the prompt and its sampled continuation (without the prompt)",
    }
    PredictOptions = GenerateOptions
    EvaluateOptions = LMEvaluateOptions

    def __init__(self, model, config, run=None, *, assets: LMAssets) -> None:
        super().__init__(model, config, run, assets=assets)
        self.tokenizer = assets.tokenizer
        self.vocab = assets.vocab

    def _refuse_reversed(self) -> None:
        if self.config.data.reverse:
            raise ConfigError(
                "this language model reads text right to left (lm --reverse): it scores "
                "text and feeds --char-lm, it does not continue a prompt"
            )

    def _prompt_ids(self, prompt: str) -> list[int]:
        ids = self.vocab.encode(self.tokenizer.tokenize(prompt))
        if not ids:  # an empty prompt starts as a new line of text would
            ids = self.vocab.encode(self.tokenizer.tokenize("\n"))
        return ids

    def stream(
        self,
        prompt: str = "",
        max_new: int = 200,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Yield the new text piece by piece, as each token is sampled.

        ``temperature`` 0 is greedy; ``top_k`` and ``top_p`` restrict the
        candidates; the same ``seed`` gives the same text. A backward LM (``reverse``)
        refuses.
        """
        self._refuse_reversed()
        o = self.options(  # checked as predict's options are
            "predict",
            {
                "max_new": max_new,
                "temperature": temperature,
                "top_k": top_k,
                "top_p": top_p,
                "seed": seed,
            },
        )
        ids = stream_generate(
            self.model,
            self._prompt_ids(prompt),
            o.max_new,
            temperature=o.temperature,
            top_k=o.top_k,
            top_p=o.top_p,
            seed=o.seed,
            suppress_ids=[self.vocab.stoi[t] for t in self.vocab.specials],
        )
        yield from self.tokenizer.detokenize_stream(self.vocab.itos[i] for i in ids)

    def generate(self, prompt: str = "", max_new: int = 200, **sampling) -> str:
        """The prompt followed by ``max_new`` sampled tokens (options as :meth:`stream`)."""
        return prompt + "".join(self.stream(prompt, max_new, **sampling))

    def view(self) -> dict:
        return {"kind": "generate", "options": {"max_new": 200, "temperature": 0.8}}

    def predict(self, inputs: Sequence[str], **options) -> list[dict]:
        """The continuation of each prompt: ``{"input": prompt, "output": new text}``
        (options: :class:`GenerateOptions`)."""
        o = self.options("predict", options)
        inputs = check_texts(inputs, "prompts")
        return [
            {
                "input": prompt,
                "output": "".join(
                    self.stream(
                        prompt,
                        o.max_new,
                        temperature=o.temperature,
                        top_k=o.top_k,
                        top_p=o.top_p,
                        seed=o.seed,
                    )
                ),
            }
            for prompt in inputs
        ]

    def evaluate(self, data: str | os.PathLike | Sequence[str] | None = None, **options) -> dict:
        """Loss (nats/token), perplexity[, bits_per_char] and tokens on the text file
        ``data``, on a list of texts (scored as one stream), or on the run's validation
        split; ``protocol`` as :func:`evaluate_lm` ("carry" or "fresh")."""
        o = self.options("evaluate", options)
        texts, source = self.records(data)
        if self.config.data.reverse:  # a backward LM scores the text right to left
            texts = [reverse_text("".join(map(text_of, texts)))]
        if len(texts) == 1:  # a file streams from the token cache
            ids = encode_text(texts[0], self.tokenizer, self.vocab)
        else:
            ids = encode("".join(texts), self.tokenizer, self.vocab)
        if ids.numel() < 2:
            raise DataError(source, None, "at least 2 tokens of text to score", f"{ids.numel()}")
        metrics = evaluate_lm(
            self.model,
            ids,
            bptt=self.config.data.bptt,
            char_level=self.config.data.tokenizer in CHAR_LEVEL,
            protocol=o.protocol,
        )
        return {"task": "lm", **metrics}

    def perplexity(self, text: str) -> float:
        return self.evaluate([text])["perplexity"]

    @torch.no_grad()
    def next_token_probs(self, prefix: str, top_k: int = 10) -> list[tuple[str, float]]:
        """The ``top_k`` most likely next tokens after ``prefix``, with probabilities."""
        self._refuse_reversed()
        x = torch.tensor([self._prompt_ids(prefix)], device=self.device)  # (1, L)
        logits, _ = self.model(x)
        probs = logits[0, -1].softmax(-1)  # (V,)
        values, ids = probs.topk(min(top_k, probs.numel()))
        return [(self.vocab.itos[i], float(p)) for p, i in zip(values.tolist(), ids.tolist())]


# -- the task ------------------------------------------------------------------------------
@register
class LanguageModelTask(Task):
    name = "lm"
    summary = "language model: next-token prediction, generation (char-LSTM on Shakespeare)"
    Config = LMConfig
    Predictor = LanguageModelPredictor
    Assets = LMAssets
    higher_is_better = frozenset()
    search_space = {
        "lr": ("log", 5e-4, 1e-2),
        "hidden_size": ("int", 64, 512, 64),
        "num_layers": ("int", 1, 3),
        "dropout": ("float", 0.0, 0.5),
        "embedding_dim": ("choice", [32, 64, 128]),
    }

    def read_splits(self, config: RunConfig) -> Splits:
        splits = read_splits(config)
        if not config.data.reverse:
            return splits
        train, valid = ([reverse_text(t) for t in texts] for texts in (splits.train, splits.valid))
        return Splits(train, valid, splits.train_source, splits.valid_source)

    def read_file(self, path, config: RunConfig) -> list[Text]:
        return [read_corpus(os.fspath(path))]

    def from_memory(self, items, config: RunConfig, which: str) -> str:
        """One string, or a list of strings (each ends a line), as one text."""
        texts = [items] if isinstance(items, str) else rows_of(items, which)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataError(f"{which}[{i}]", None, "a string", type(text).__name__)
        text = "".join(t if t.endswith("\n") or len(texts) == 1 else t + "\n" for t in texts)
        if not text.strip():
            raise DataError(which, None, "some text", "only whitespace")
        return text

    def fit_assets(self, config: RunConfig, splits: Splits) -> LMAssets:
        d = config.data
        tokenizer = make_text_tokenizer(d)
        if tokenizer.needs_fit:  # sentencepiece learns its pieces from (a sample of) the text
            sample = itertools.islice(blocks(splits.train[0]), FIT_SAMPLE_BLOCKS)
            tokenizer.fit(["".join(sample)])
        vocab = tokenizer.natural_vocab() or build_vocab(
            (
                t
                for text in splits.train
                for block in blocks(text)
                for t in tokenizer.tokenize(block)
            ),
            min_freq=d.min_freq,
            max_size=d.max_vocab,
        )
        require_tokens(vocab, d.min_freq)
        config.model.resolve_sizes(len(vocab))  # config.json records what was chosen
        return LMAssets(tokenizer, vocab)

    def prepare(self, config: RunConfig, splits: Splits, assets: LMAssets) -> LMData:
        (train,), (valid,) = splits.train, splits.valid
        train_ids = encode_text(train, assets.tokenizer, assets.vocab)
        valid_ids = encode_text(valid, assets.tokenizer, assets.vocab)
        if train_ids.numel() < 2:
            raise DataError(
                splits.train_source, None, "some text to train on", f"{train_ids.numel()} tokens"
            )
        if valid_ids.numel() < 2:
            raise DataError(
                splits.valid_source,
                None,
                "at least 2 tokens of validation text",
                f"{valid_ids.numel()}",
            )
        return LMData(train_ids, valid_ids, splits.train_source, splits.valid_source)

    def setup(self, config: RunConfig, run: RunDirectory | None = None):
        if run is not None and config.model.kind == "ngram":
            if config.train.init_from:
                raise ConfigError(
                    "an n-gram model is counted, not trained: --init-from does not apply"
                )
            raise ConfigError("an n-gram model is fitted in one pass: there is nothing to resume")
        return super().setup(config, run)

    def build_model(self, config: RunConfig) -> nn.Module:
        m = config.model
        if m.kind == "ngram":
            raise ConfigError("an n-gram model is fitted, not built: see fit_classical")
        if m.kind == "window":
            return WindowLanguageModel(
                m.vocab_size,
                m.context,
                m.embedding_dim,
                m.hidden_size,
                m.dropout,
                tie_weights=m.tie_weights,
            )
        return RNNLanguageModel(
            m.vocab_size,
            m.embedding_dim,
            m.hidden_size,
            m.num_layers,
            m.cell,
            m.dropout,
            tie_weights=m.tie_weights,
            layer_norm=m.layer_norm,
            backend=m.backend,
        )

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """``step.onnx``: one token and the state in, the next token's logits and the
        new state out (generation from carried state)."""
        m = predictor.config.model
        if not isinstance(predictor.model, RNNLanguageModel):
            raise ConfigError(f"a {m.kind!r} language model has no ONNX export")
        N, states = 2, state_names(m.cell)
        g = torch.Generator().manual_seed(0)
        inputs = {"token": torch.randint(m.vocab_size, (N,), generator=g)}
        for name in states:  # (num_layers, N, H)
            inputs[name] = torch.rand(m.num_layers, N, m.hidden_size, generator=g) - 0.5
        axes = {"token": {0: "batch"}} | {name: {1: "batch"} for name in states}
        outputs = ["logits", *(f"{name}_out" for name in states)]
        doc = "one step: token (N,) and the state (zeros at first) -> logits (N, V), new state"
        return [ExportGraph("step", LMStep(predictor.model), inputs, outputs, axes, doc)]

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        vocab, m = predictor.vocab, predictor.config.model
        return {
            "state": {name: [m.num_layers, "batch", m.hidden_size] for name in state_names(m.cell)},
            "empty_prompt_ids": predictor._prompt_ids(""),
            "special_ids": [vocab.stoi[t] for t in vocab.specials],
            "reverse": bool(predictor.config.data.reverse),  # a backward LM reads text reversed
        }

    def program(
        self, model: nn.Module, data: LMData, config: RunConfig, dist: DistInfo
    ) -> LMProgram:
        return LMProgram(data, config, module_device(model), dist)

    def fit_classical(
        self, config: RunConfig, assets: LMAssets, data: LMData, run: RunDirectory
    ) -> LanguageModelPredictor | None:
        """``kind="ngram"``: count the training stream's n-grams (Kneser-Ney), save the
        estimates as safetensors arrays and log the validation metrics."""
        if config.model.kind != "ngram":
            return None
        lm = KneserNeyLM(order=config.model.order).fit(data.train_ids.numpy(), len(assets.vocab))
        run.save_arrays(lm.to_arrays())
        predictor = LanguageModelPredictor(NGramLanguageModel(lm), config, run, assets=assets)
        metrics = evaluate_lm(
            predictor.model,
            data.valid_ids,
            bptt=config.data.bptt,
            char_level=config.data.tokenizer in CHAR_LEVEL,
        )
        record = {"step": 0, **{f"valid_{k}": v for k, v in metrics.items()}, "full": True}
        run.append_metrics(record)
        return predictor

    def load_predictor(self, config: RunConfig, run: RunDirectory, device) -> Predictor:
        if config.model.kind != "ngram":
            return super().load_predictor(config, run, device)
        try:
            lm = KneserNeyLM.from_arrays(run.load_arrays())
        except ConfigError as e:
            raise CheckpointError(f"{run.path}: {e}") from None
        assets = self.load_assets(run, config)
        return LanguageModelPredictor(NGramLanguageModel(lm), config, run, assets=assets)
