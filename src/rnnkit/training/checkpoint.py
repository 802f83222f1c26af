"""The run directory: atomic writes, safe loading.

::

    RUN_DIR/
      config.json        RunConfig: rebuilds model, tokenizer and data processing
      model.safetensors  weights (safetensors: loading runs no code)
      vocab.json         tokenizer.json   what turns raw input into ids
      trainer_state.pt   optimiser, step, data position, RNG states: tensors and
                         plain numbers only, loaded with torch.load(weights_only=True)
      metrics.jsonl      one JSON line per evaluation

Every file is written to a temporary name in the same folder and renamed into
place with :func:`os.replace`, so a crash leaves the previous version whole.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from torch import nn

from rnnkit.config import RunConfig
from rnnkit.errors import CheckpointError, RnnkitError

__all__ = ["RunDirectory", "atomic_save", "atomic_write"]

CONFIG, WEIGHTS, TRAINER_STATE, METRICS = (
    "config.json",
    "model.safetensors",
    "trainer_state.pt",
    "metrics.jsonl",
)


def atomic_save(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename it into place.

    A crash (even ``kill -9``) leaves either the old file or the new one, never a
    torn one; a stray ``.NAME.*.tmp`` is all it can leave behind.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, synced to disk."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())

    atomic_save(path, write)


class RunDirectory:
    """Reads and writes one run's files. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r})"

    @classmethod
    def create(cls, path: str | os.PathLike) -> RunDirectory:
        """A new run directory; refuses to write over an existing run."""
        path = Path(path)
        if (path / CONFIG).exists():
            raise CheckpointError(
                f"{path} already holds a run; pass --resume {path} to continue it, "
                "or choose another --out"
            )
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CheckpointError(
                f"{path}: cannot create the run directory ({e.strerror})"
            ) from None
        return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDirectory:
        """An existing run directory; checks that it is one."""
        path = Path(path)
        if not path.is_dir():
            raise CheckpointError(f"{path}: no such run directory")
        for name in (CONFIG, WEIGHTS):
            if not (path / name).is_file():
                raise CheckpointError(f"{path} is not an rnnkit run directory: {name} is missing")
        return cls(path)

    def remove_stale_temporaries(self) -> list[str]:
        """Delete the temporary files a killed writer left behind; returns their names."""
        stale = [p for p in self.path.glob(".*.tmp") if p.is_file()]
        for p in stale:
            p.unlink(missing_ok=True)
        return [p.name for p in stale]

    def file(self, name: str) -> Path:
        return self.path / name

    # -- config and JSON assets -------------------------------------------------------------
    def save_config(self, config: RunConfig) -> None:
        atomic_write(self.file(CONFIG), config.to_json())

    def load_config(self) -> RunConfig:
        try:
            return RunConfig.from_json(
                self.file(CONFIG).read_text("utf-8"), source=str(self.file(CONFIG))
            )
        except (OSError, UnicodeDecodeError) as e:
            raise CheckpointError(f"{self.file(CONFIG)}: cannot read ({e})") from None
        except RnnkitError as e:
            raise CheckpointError(str(e)) from None

    def save_json(self, name: str, data: Any) -> None:
        atomic_write(self.file(name), json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def load_json(self, name: str) -> Any:
        path = self.file(name)
        try:
            return json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise CheckpointError(f"{self.path} is not a complete run: {name} is missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CheckpointError(f"{path}: not valid JSON ({e})") from None

    # -- weights ----------------------------------------------------------------------------
    def save_weights(self, model: nn.Module, name: str = WEIGHTS) -> None:
        """The state_dict as safetensors, on the CPU; a tied tensor is stored once.

        Each tensor is copied into its own storage first: on CUDA, cuDNN keeps all of
        an LSTM's weights in one flat buffer and its parameters are views of it,
        which safetensors refuses to save as they are. The names left out because
        they are tied to another are written in the metadata, ``{name: kept}``, as
        ``safetensors.torch.save_model`` writes them.
        """
        state = model.state_dict()
        aliases = _tied_names(state)
        tensors = {
            key: value.detach().to("cpu", copy=True).contiguous()
            for key, value in state.items()
            if key not in aliases
        }
        atomic_save(
            self.file(name),
            lambda tmp: safetensors.torch.save_file(tensors, tmp, metadata=aliases or None),
        )

    def load_weights(
        self, model: nn.Module, *, name: str = WEIGHTS, device: str | torch.device = "cpu"
    ) -> None:
        """Load weights into ``model``; safetensors holds tensors only, so nothing is executed."""
        path = self.file(name)
        if not path.is_file():
            raise CheckpointError(f"{self.path} is not a complete run: {name} is missing")
        try:
            tensors = safetensors.torch.load_file(path, device=str(device))
        except (safetensors.SafetensorError, OSError, ValueError) as e:
            raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None
        try:
            missing, unexpected = model.load_state_dict(tensors, strict=False)
        except RuntimeError as e:  # shape mismatch
            first = str(e).strip().splitlines()[-1].strip()
            raise CheckpointError(f"{path}: weights do not fit the model ({first})") from None
        # a tied name is filled through any name of its tensor that the file holds (files
        # written by safetensors.torch.save_model may keep another one than ours)
        aliases = _tied_names(model.state_dict())
        loaded = {aliases.get(key, key) for key in tensors}
        missing = [key for key in missing if aliases.get(key, key) not in loaded]
        if missing or unexpected:
            raise CheckpointError(
                f"{path}: weights do not fit the model "
                f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
            )

    def save_arrays(self, arrays: dict, name: str = WEIGHTS) -> None:
        """Numpy arrays as safetensors (models that are not nn.Modules, e.g. n-grams)."""
        import safetensors.numpy

        atomic_save(self.file(name), lambda tmp: safetensors.numpy.save_file(arrays, tmp))

    def load_arrays(self, name: str = WEIGHTS) -> dict:
        import safetensors.numpy

        path = self.file(name)
        try:
            return safetensors.numpy.load_file(path)
        except FileNotFoundError:
            raise CheckpointError(f"{self.path} is not a complete run: {name} is missing") from None
        except (safetensors.SafetensorError, OSError, ValueError) as e:
            raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None

    # -- trainer state ----------------------------------------------------------------------
    def save_trainer_state(self, state: dict[str, Any]) -> None:
        atomic_save(self.file(TRAINER_STATE), lambda tmp: torch.save(state, tmp))

    def has_trainer_state(self) -> bool:
        return self.file(TRAINER_STATE).is_file()

    def load_trainer_state(self) -> dict[str, Any]:
        """Tensors and plain data only: a pickled object in the file is refused, never run."""
        path = self.file(TRAINER_STATE)
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise CheckpointError(
                f"{self.path}: {TRAINER_STATE} is missing; nothing to resume"
            ) from None
        except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(
                f"{path}: refused to load (not a plain tensor checkpoint: {first})"
            ) from None

    # -- metrics ----------------------------------------------------------------------------
    def append_metrics(self, record: dict[str, Any]) -> None:
        path = self.file(METRICS)
        old = path.read_text("utf-8") if path.exists() else ""
        atomic_write(path, old + json.dumps(record) + "\n")

    def read_metrics(self) -> list[dict[str, Any]]:
        path = self.file(METRICS)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _tied_names(state: dict[str, torch.Tensor]) -> dict[str, str]:
    """``{name: first name}`` for the entries of a state_dict that are the same tensor as
    an earlier entry (tied weights, e.g. ``tie_weights``): same memory, shape and strides.
    Views of one buffer at different places (cuDNN's flat weights) are not tied."""
    first: dict[tuple, str] = {}
    aliases = {}
    for key, value in state.items():
        if value.numel() == 0:
            continue
        place = (value.device, value.data_ptr(), value.dtype, tuple(value.shape), value.stride())
        if place in first:
            aliases[key] = first[place]
        else:
            first[place] = key
    return aliases
