"""A task that lives outside rnnkit: the sum of a sequence of numbers (a regression).

The contract tests register it (in-process with :func:`rnnkit.tasks.register`, and
for the command line through an ``rnnkit.tasks`` entry point) to show that a new
task needs no change to rnnkit. docs/tasks.md walks through it.

Data: a text file, one sequence a line, numbers separated by spaces; without
``--data``, 400 random sequences (seeded, lengths 1-8). The last 20% of the lines
are the validation split.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.config import (
    DataConfig,
    RecurrentConfig,
    RunConfig,
    TrainConfig,
    option,
    override,
    with_defaults,
)
from rnnkit.data.readers import read_text
from rnnkit.errors import DataError
from rnnkit.tasks import Predictor, Splits, Task, register
from rnnkit.training.trainer import StepOutput


# -- 1. the config: shared parts, and the task's own fields ---------------------------------
@dataclass
class SumModelConfig(RecurrentConfig):
    cell: str = override(RecurrentConfig, "cell", "gru")
    num_layers: int = override(RecurrentConfig, "num_layers", 1)
    hidden_size: int = override(RecurrentConfig, "hidden_size", 32)
    dropout: float = override(RecurrentConfig, "dropout", 0.0)


@dataclass
class SumDataConfig(DataConfig):
    max_length: int = option(8, "The longest generated sequence (without --data).", low=1)


@dataclass
class SumConfig(RunConfig):
    task: str = "sum"
    model: SumModelConfig = with_defaults(SumModelConfig)
    data: SumDataConfig = with_defaults(SumDataConfig, batch_size=16)
    train: TrainConfig = with_defaults(TrainConfig, ema=None, amp=False, lr=1e-2, metric="mse")


# -- 2. the model -----------------------------------------------------------------------------
class SumModel(nn.Module):
    """A GRU over the numbers, a linear head on its last state.

    Shape:
        x: (N, L, 1), lengths: (N,) -> (N,)
    """

    def __init__(self, config: SumModelConfig) -> None:
        super().__init__()
        self.rnn = nn.GRU(1, config.hidden_size, config.num_layers, batch_first=True)
        self.head = nn.Linear(config.hidden_size, 1)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        _, h = self.rnn(packed)  # (num_layers, N, H)
        return self.head(h[-1]).squeeze(-1)  # (N,)


def _batch(seqs: list[list[float]]):
    lengths = torch.tensor([len(s) for s in seqs])
    x = torch.zeros(len(seqs), int(lengths.max()), 1)
    for i, s in enumerate(seqs):
        x[i, : len(s), 0] = torch.tensor(s)
    return x, lengths  # (N, L, 1), (N,)


# -- 3. the program the trainer runs ----------------------------------------------------------
class SumProgram:
    def __init__(self, data: Splits, config: SumConfig) -> None:
        self.data, self.config = data, config

    def batches(self, epoch: int):
        order = torch.randperm(
            len(self.data.train),
            generator=torch.Generator().manual_seed(self.config.train.seed + epoch),
        ).tolist()
        n = self.config.data.batch_size
        return [[self.data.train[i] for i in order[k : k + n]] for k in range(0, len(order), n)]

    def step(self, model, batch, state) -> StepOutput:
        x, lengths = _batch(batch)
        y = torch.tensor([sum(s) for s in batch])
        return StepOutput(F.mse_loss(model(x, lengths), y), len(batch))

    def evaluate(self, model, max_batches=None) -> dict:
        mse = _mse(model, self.data.valid)
        return {"loss": mse, "mse": mse}


@torch.no_grad()
def _mse(model, seqs) -> float:
    x, lengths = _batch(seqs)
    return F.mse_loss(model(x, lengths), torch.tensor([sum(s) for s in seqs])).item()


# -- 4. the predictor: declared inputs and outputs --------------------------------------------
class SumPredictor(Predictor):
    task = "sum"
    input_schema: ClassVar[dict] = {
        "type": "array",
        "items": {"type": "number"},
        "minItems": 1,
        "examples": [[1, 2, 3]],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {"input": {"type": "array"}, "sum": {"type": "number"}},
        "required": ["input", "sum"],
    }

    @torch.no_grad()
    def predict(self, inputs, **options) -> list[dict]:
        self.options("predict", options)
        if not inputs:
            return []
        x, lengths = _batch([list(map(float, s)) for s in inputs])
        return [{"input": list(s), "sum": float(v)} for s, v in zip(inputs, self.model(x, lengths))]

    def evaluate(self, data=None, **options) -> dict:
        self.options("evaluate", options)
        seqs, _ = self.records(data)
        return {"task": "sum", "mse": _mse(self.model.eval(), seqs), "n": len(seqs)}

    def parse_input(self, text: str) -> list[float]:
        return _numbers(text, "input", None)


def _numbers(line: str, path, number) -> list[float]:
    try:
        values = [float(v) for v in line.replace(",", " ").split()]
    except ValueError:
        raise DataError(path, number, "numbers separated by spaces", repr(line)) from None
    if not values:
        raise DataError(path, number, "at least one number", "an empty line")
    return values


# -- 5. the task -----------------------------------------------------------------------------
@register
class SumTask(Task):
    name = "sum"
    summary = "the sum of a sequence of numbers (a toy regression)"
    Config = SumConfig
    Predictor = SumPredictor

    def read_file(self, path, config) -> list[list[float]]:
        return [_numbers(line, path, i) for i, line in enumerate(read_text(path).splitlines(), 1)]

    def read_splits(self, config) -> Splits:
        if config.data.data is not None:
            seqs, source = self.read_file(config.data.data, config), config.data.data
        else:
            rng = random.Random(0)
            seqs = [
                [
                    round(rng.uniform(-1, 1), 2)
                    for _ in range(rng.randint(1, config.data.max_length))
                ]
                for _ in range(400)
            ]
            source = "random sequences"
        cut = int(len(seqs) * 0.8)
        if cut == 0 or cut == len(seqs):
            raise DataError(source, None, "at least 2 sequences", f"{len(seqs)}")
        return Splits(seqs[:cut], seqs[cut:], source, f"{source} (last 20%)")

    def prepare(self, config, splits, assets) -> Splits:
        return splits

    def build_model(self, config) -> SumModel:
        return SumModel(config.model)

    def program(self, model, data, config, dist) -> SumProgram:
        return SumProgram(data, config)
