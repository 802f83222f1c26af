"""``--char-lm FORWARD_RUN,BACKWARD_RUN`` of the tag and classify tasks: contextual
string embeddings (Akbik et al., COLING 2018) from two character language model runs.

The forward run is ``rnnkit train lm`` on raw text, the backward one ``rnnkit train lm
--reverse`` (the text read right to left); both character-level (``--tokenizer char``
or ``codepoint``) recurrent models. A tagging or classification run takes from them
what it needs, so that it stays one self-contained directory:

- their encoders' weights (embedding and recurrent stack, not the decoder) become the
  ``char_lm.*`` parameters of its model, saved in its ``model.safetensors``;
- their tokenizers and vocabularies go into its ``char_lm.json``;
- its config.json records their architectures, their paths and the SHA-256 of their
  config.json files (``model.char_lm_models``).

The source runs are read once, when training starts; loading, resuming, serving and
evaluating never open them again.

Each sequence becomes one text, and each token a place in it (see
:meth:`CharLMAssets.encode`): a tagger's words joined by spaces; a classifier's text
itself, where its tokens are found in it in order (else the tokens joined by spaces).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset

from rnnkit.config import RunConfig, derived, option
from rnnkit.data.tokenizers import Tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab
from rnnkit.errors import CheckpointError, ConfigError, RnnkitError
from rnnkit.models.char_lm import CharLMEmbedding, LMEncoder
from rnnkit.training.checkpoint import RunDirectory

__all__ = [
    "CHAR_LM_FILE",
    "CharLMAssets",
    "CharLMDataset",
    "char_lm_option",
    "fine_tune_option",
    "char_lm_models_field",
    "read_char_lms",
    "fit_char_lm",
    "load_char_lm_assets",
    "build_char_lm",
    "copy_char_lm_weights",
    "refuse_char_lm_export",
]

CHAR_LM_FILE = "char_lm.json"
DIRECTIONS = ("forward", "backward")
CHAR_LEVEL = ("char", "codepoint")
#: the language model's settings that rebuild its encoder
ENCODER_FIELDS = (
    "vocab_size",
    "embedding_dim",
    "hidden_size",
    "num_layers",
    "cell",
    "dropout",
    "layer_norm",
    "backend",
)


# -- config fields (the same in the tag and classify configs) ------------------------------
def char_lm_option() -> Any:
    return option(
        None,
        "FORWARD_RUN,BACKWARD_RUN: two character LM runs (lm, lm --reverse) whose states "
        "of each word join its features (contextual string embeddings).",
        none="off",
    )


def fine_tune_option() -> Any:
    return option(False, "--char-lm: train the character LMs with the model (else frozen).")


def char_lm_models_field() -> Any:
    return derived("--char-lm: the LMs' architectures, runs and config SHA-256", None)


# -- assets --------------------------------------------------------------------------------
@dataclass
class CharLMAssets:
    """The two LMs' tokenizers and vocabularies (forward, backward), saved as
    ``char_lm.json``; ``weights``: their encoders' state_dicts, when just read from
    their runs (copied into the new model, never saved here)."""

    tokenizers: list[Tokenizer]
    vocabs: list[Vocab]
    weights: list[dict[str, Tensor]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            d: {"tokenizer": t.to_dict(), "vocab": v.to_dict()}
            for d, t, v in zip(DIRECTIONS, self.tokenizers, self.vocabs)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharLMAssets:
        if not isinstance(data, dict) or set(DIRECTIONS) - set(data):
            raise ValueError(f"{CHAR_LM_FILE} needs a 'forward' and a 'backward' entry")
        return cls(
            [tokenizer_from_dict(data[d]["tokenizer"]) for d in DIRECTIONS],
            [Vocab.from_dict(data[d]["vocab"]) for d in DIRECTIONS],
        )

    def encode(self, tokens: Sequence[str], text: str | None = None) -> tuple[Tensor, Tensor]:
        """The LMs' inputs for one sequence of L tokens: ``ids`` (2, S) and ``at`` (2, L).

        Row 0: the forward LM's ids of ``"\\n" + text`` and the position of each
        token's last character; row 1: the backward LM's ids of ``"\\n" +
        reversed(text)`` and the position of each token's first character (its
        last in reading order). ``text``: the sequence's own text when its tokens
        are found in it in order (case aside); else the tokens joined by spaces.
        """
        pieces = _pieces(tokens, text)  # gap, token, gap, token, ..., gap
        rows, places = [], []
        for d, (tokenizer, vocab) in enumerate(zip(self.tokenizers, self.vocabs)):
            order = pieces if d == 0 else [p[::-1] for p in reversed(pieces)]
            ids = tokenizer.encode("\n", vocab)
            at = []
            for j, piece in enumerate(order):
                ids += tokenizer.encode(piece, vocab) if piece else []
                if j % 2 == 1:  # a token: its last id in reading order
                    at.append(len(ids) - 1)
            rows.append(ids)
            places.append(at if d == 0 else at[::-1])
        S = max(len(r) for r in rows)
        ids = torch.zeros(2, S, dtype=torch.long)  # (2, S)
        for d, r in enumerate(rows):
            ids[d, : len(r)] = torch.tensor(r, dtype=torch.long)
        return ids, torch.tensor(places, dtype=torch.long)  # (2, S), (2, L)


def token_offsets(text: str, tokens: Sequence[str]) -> list[tuple[int, int]] | None:
    """Where each token lies in ``text``, or None when one is not found verbatim in order."""
    offsets, pos = [], 0
    for token in tokens:
        start = text.find(token, pos)
        if start < 0:
            return None
        pos = start + len(token)
        offsets.append((start, pos))
    return offsets


def _pieces(tokens: Sequence[str], text: str | None) -> list[str]:
    """``[gap_0, token_0, gap_1, ..., token_{L-1}, gap_L]``: the text cut at its tokens."""
    spans = None
    if text is not None:
        spans = token_offsets(text, tokens)
        lower = text.lower()
        if spans is None and len(lower) == len(text):  # a lowercasing tokenizer
            spans = token_offsets(lower, [t.lower() for t in tokens])
    if spans is None:
        text = " ".join(tokens)
        spans = token_offsets(text, tokens)
    pieces, pos = [], 0
    for start, end in spans:
        pieces += [text[pos:start], text[start:end]]
        pos = end
    return [*pieces, text[pos:]]


class CharLMDataset(Dataset):
    """A task's dataset whose items end with their character LM inputs ``(ids, at)``
    (see :meth:`CharLMAssets.encode`); its other attributes (``lengths``, ``tags``,
    ``labels``, ...) are the wrapped dataset's."""

    def __init__(self, dataset: Dataset, inputs: Sequence[tuple[Tensor, Tensor]]) -> None:
        if len(inputs) != len(dataset):
            raise ConfigError(f"{len(dataset)} examples but {len(inputs)} character LM inputs")
        self.dataset, self.inputs = dataset, list(inputs)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> tuple:
        return (*self.dataset[i], self.inputs[i])

    def __getattr__(self, name: str) -> Any:
        if name in ("dataset", "inputs"):
            raise AttributeError(name)
        return getattr(self.dataset, name)


# -- reading the source runs ---------------------------------------------------------------
def _refuse(path: str, why: str) -> ConfigError:
    return ConfigError(f"--char-lm {path}: {why}")


def read_char_lms(config: RunConfig) -> CharLMAssets:
    """Read the two runs of ``config.model.char_lm``: check them, record them in
    ``config.model`` (resolved paths, ``char_lm_models``) and return their assets and
    encoder weights."""
    from rnnkit.tasks.base import get_task, load_config

    m = config.model
    paths = [p.strip() for p in str(m.char_lm).split(",")]
    if len(paths) != 2 or not all(paths):
        raise ConfigError(f"--char-lm takes two runs, FORWARD_RUN,BACKWARD_RUN; got {m.char_lm!r}")
    lm_task = get_task("lm")
    models, tokenizers, vocabs, weights = {}, [], [], []
    for direction, path in zip(DIRECTIONS, paths):
        try:
            run = RunDirectory.open(path)
            cfg = load_config(run)
        except (RnnkitError, OSError, ValueError) as e:
            raise _refuse(path, str(e)) from None
        if cfg.task != "lm":
            raise _refuse(path, f"a {cfg.task} run, not a language model")
        if cfg.model.kind != "rnn":
            raise _refuse(path, f"a {cfg.model.kind!r} language model; a recurrent one is needed")
        if cfg.data.tokenizer not in CHAR_LEVEL:
            raise _refuse(
                path,
                f"a {cfg.data.tokenizer!r}-level language model; --char-lm takes character "
                "ones (lm --tokenizer char or codepoint)",
            )
        if bool(cfg.data.reverse) != (direction == "backward"):
            need = "with" if direction == "backward" else "without"
            raise _refuse(path, f"the {direction} LM (FORWARD_RUN,BACKWARD_RUN) is trained "
                          f"{need} lm --reverse")  # fmt: skip
        try:
            assets = lm_task.load_assets(run, cfg)
            lm = lm_task.build_model(cfg)
            run.load_weights(lm)
        except RnnkitError as e:
            raise _refuse(path, str(e)) from None
        keep = ("embedding.", "rnn.")
        weights.append({k: v for k, v in lm.state_dict().items() if k.startswith(keep)})
        tokenizers.append(assets.tokenizer)
        vocabs.append(assets.vocab)
        models[direction] = {
            "run": str(run.path.resolve()),
            "config_sha256": hashlib.sha256(run.file("config.json").read_bytes()).hexdigest(),
            "model": {name: getattr(cfg.model, name) for name in ENCODER_FIELDS},
        }
    m.char_lm = ",".join(models[d]["run"] for d in DIRECTIONS)
    m.char_lm_models = models
    return CharLMAssets(tokenizers, vocabs, weights)


def fit_char_lm(config: RunConfig) -> CharLMAssets | None:
    """The assets of ``--char-lm`` (:func:`read_char_lms`), or None without it."""
    m = config.model
    if not m.char_lm:
        if m.fine_tune_char_lm:
            warnings.warn("--fine-tune-char-lm does nothing without --char-lm", stacklevel=2)
        return None
    return read_char_lms(config)


def load_char_lm_assets(run: RunDirectory, config: RunConfig) -> CharLMAssets | None:
    """A run's ``char_lm.json``, when its config says it reads character LMs."""
    if not config.model.char_lm_models:
        return None
    try:
        return CharLMAssets.from_dict(run.load_json(CHAR_LM_FILE))
    except CheckpointError:
        raise
    except (RnnkitError, KeyError, TypeError, ValueError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"{run.file(CHAR_LM_FILE)}: not a valid asset of this run ({reason})"
        ) from None


# -- the model -----------------------------------------------------------------------------
def build_char_lm(config: RunConfig) -> CharLMEmbedding | None:
    """The model's character LM module, as ``config.model.char_lm_models`` describes it."""
    m = config.model
    if not m.char_lm_models:
        return None
    try:
        encoders = [LMEncoder(**m.char_lm_models[d]["model"]) for d in DIRECTIONS]
    except (KeyError, TypeError) as e:
        raise ConfigError(f"model.char_lm_models is not as rnnkit writes it ({e})") from None
    return CharLMEmbedding(*encoders, fine_tune=m.fine_tune_char_lm)


def copy_char_lm_weights(model: nn.Module, assets: CharLMAssets | None) -> None:
    """Put the source LMs' encoder weights into a new model (a model trained from scratch;
    a resumed run takes them from its checkpoint)."""
    if assets is None or assets.weights is None:
        return
    char_lm = getattr(model, "module", model).char_lm  # DDP keeps the model in .module
    for encoder, state in zip((char_lm.forward_lm, char_lm.backward_lm), assets.weights):
        encoder.load_state_dict(state)


def refuse_char_lm_export(predictor) -> None:  # noqa: ANN001
    """``rnnkit export`` of a --char-lm run: refused in one line (its graph would need
    the LMs over the sentence text, which the exported graphs do not take)."""
    if getattr(predictor.model, "char_lm", None) is not None:
        raise ConfigError(
            f"{predictor.run.path if predictor.run else 'this run'}: a --char-lm model has no "
            "ONNX export yet (its character LMs read the sentence text)"
        )
