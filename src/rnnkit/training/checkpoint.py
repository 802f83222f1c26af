"""The run directory: atomic writes, one checkpoint unit, safe loading.

::

    RUN_DIR/
      config.json        the task's RunConfig: rebuilds model, tokenizer and data processing
      model.safetensors  the weights predictions use (the moving average or the best
                         evaluated weights, when the run keeps them)
      vocab.json ...     the task's assets: what turns raw input into ids
      metrics.jsonl      one JSON line per evaluation, keyed by step and kind (slice or full)
      checkpoint/        what training continues from, written as one unit:
        model.safetensors    the raw weights the optimiser moves
        trainer_state.pt     optimiser, schedule, step, data position, carried state, RNG
                             states, moving average: tensors and plain numbers only,
                             loaded with torch.load(weights_only=True)
        best.safetensors     the best evaluated weights so far (keep-best runs)
        manifest.json        the step and the SHA-256 of each file above, written last

A file is written to a temporary name in the same folder, synced and renamed into
place with :func:`os.replace`. A checkpoint is written whole into a temporary
folder (files and folder synced, manifest last), then made current by renames:
``checkpoint`` -> ``.checkpoint.old``, the new folder -> ``checkpoint``. A kill at
any moment leaves a whole checkpoint under one of the two names; resume checks
the manifest and falls back to the previous one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from torch import nn

from rnnkit.errors import CheckpointError

__all__ = ["RunDirectory", "atomic_save", "atomic_write"]

CONFIG, WEIGHTS, TRAINER_STATE, METRICS, BEST = (
    "config.json",
    "model.safetensors",
    "trainer_state.pt",
    "metrics.jsonl",
    "best.safetensors",
)
CHECKPOINT, OLD_CHECKPOINT, MANIFEST = "checkpoint", ".checkpoint.old", "manifest.json"
LOCK, LOCK_PID = ".lock", ".lock.pid"


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
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a run is shared as the user says
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    except WRITE_ERRORS as e:
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(
            f"{path}: cannot write ({_reason(e)}); the previous file is kept"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, synced to disk."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)

    atomic_save(path, write)


#: what a failed write raises: the OS, safetensors (its own error type), torch.save
WRITE_ERRORS = (OSError, safetensors.SafetensorError, RuntimeError)


def _reason(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e).strip().splitlines()[-1]
    return text.removeprefix("Error while serializing: ")


_UMASK: int | None = None


def _umask() -> int:
    """The process's umask (read once: reading it means setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def _fsync(path: str | os.PathLike) -> None:
    """Flush a file's or a folder's entries to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _weights_file(state: dict[str, torch.Tensor], path: str | os.PathLike) -> None:
    """A state_dict as safetensors on the CPU; a tied tensor is stored once (see
    :meth:`RunDirectory.save_weights`)."""
    aliases = _tied_names(state)
    tensors = {
        key: value.detach().to("cpu", copy=True).contiguous()
        for key, value in state.items()
        if key not in aliases
    }
    safetensors.torch.save_file(tensors, path, metadata=aliases or None)


class RunDirectory:
    """Reads and writes one run's files. Build with :meth:`create` or :meth:`open`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.created = False  # made by create(): removed again when the start fails
        self._lock = None

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r})"

    @classmethod
    def create(cls, path: str | os.PathLike) -> RunDirectory:
        """A new run directory: a folder that does not exist yet, or an empty one. An
        existing run, or a folder holding anything else, is refused (never written over)."""
        path = Path(path)
        if (path / CONFIG).exists():
            raise CheckpointError(
                f"{path} already holds a run; pass --resume {path} to continue it, "
                "or choose another --out"
            )
        if path.exists() and not path.is_dir():
            raise CheckpointError(f"{path} is a file, not a folder for a run; choose another --out")
        if path.is_dir() and any(path.iterdir()):
            raise CheckpointError(
                f"{path} is a folder with files that are not an rnnkit run; choose another "
                "--out (rnnkit writes only into a new or empty folder)"
            )
        run = cls(path)
        try:
            run.created = not path.exists()
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CheckpointError(
                f"{path}: cannot create the run directory ({e.strerror})"
            ) from None
        return run

    # -- the lock ---------------------------------------------------------------------------
    def lock(self) -> RunDirectory:
        """Hold the run's lock while this process writes to it (released at :meth:`unlock`
        or when the process dies, so a killed run never blocks the next one).

        The lock is the operating system's (filelock: ``fcntl.flock`` on Linux and
        macOS, ``msvcrt.locking`` on Windows) on ``RUN_DIR/.lock``; ``RUN_DIR/.lock.pid``
        names the holder for the message a second process gets.
        """
        from filelock import FileLock, Timeout

        lock = FileLock(self.file(LOCK), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            try:
                holder = self.file(LOCK_PID).read_text("utf-8").strip()
            except OSError:
                holder = "unknown"
            raise CheckpointError(
                f"{self.path} is in use: process {holder} is training in it; wait for it to "
                "finish or choose another run directory"
            ) from None
        except OSError as e:
            raise CheckpointError(f"{self.path}: cannot lock the run ({e.strerror})") from None
        self._lock = lock
        atomic_write(self.file(LOCK_PID), f"{os.getpid()}\n")
        return self

    def unlock(self) -> None:
        if self._lock is not None:
            self.file(LOCK_PID).unlink(missing_ok=True)
            self._lock.release()
            self._lock = None

    def discard(self) -> None:
        """Remove what a start that failed wrote: the folder when it made it, else its
        files (the folder was empty before)."""
        self.unlock()
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        for child in self.path.iterdir():
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(
                missing_ok=True
            )

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDirectory:
        """An existing run directory; checks that it is one."""
        path = Path(path)
        if not path.is_dir():
            raise CheckpointError(f"{path}: no such run directory")
        if not (path / CONFIG).is_file():
            raise CheckpointError(f"{path} is not an rnnkit run directory: {CONFIG} is missing")
        return cls(path)

    def file(self, name: str) -> Path:
        return self.path / name

    # -- config and JSON assets -------------------------------------------------------------
    def save_config(self, config) -> None:
        """The run's config (a :class:`~rnnkit.config.RunConfig`) as config.json."""
        atomic_write(self.file(CONFIG), config.to_json())

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
    def save_weights(self, model: nn.Module | dict, name: str = WEIGHTS) -> None:
        """A module's state_dict (or a state_dict) as safetensors, on the CPU; a tied
        tensor is stored once.

        Each tensor is copied into its own storage first: on CUDA, cuDNN keeps all of
        an LSTM's weights in one flat buffer and its parameters are views of it,
        which safetensors refuses to save as they are. The names left out because
        they are tied to another are written in the metadata, ``{name: kept}``, as
        ``safetensors.torch.save_model`` writes them.
        """
        state = model.state_dict() if isinstance(model, nn.Module) else model
        atomic_save(self.file(name), lambda tmp: _weights_file(state, tmp))

    def load_weights(
        self, model: nn.Module, *, name: str = WEIGHTS, device: str | torch.device = "cpu"
    ) -> None:
        """Load weights into ``model``; safetensors holds tensors only, so nothing is executed."""
        path = self.file(name)
        if not path.is_file():
            raise CheckpointError(f"{self.path} is not a complete run: {name} is missing")
        load_weights_file(model, path, device)

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

    # -- the checkpoint unit ----------------------------------------------------------------
    def save_checkpoint(
        self,
        step: int,
        weights: dict[str, torch.Tensor],
        state: dict[str, Any],
        best: dict[str, torch.Tensor] | None = None,
    ) -> None:
        """Write the checkpoint of ``step`` as one unit and make it current."""
        tmp = Path(tempfile.mkdtemp(prefix=f".checkpoint-{step}.", suffix=".tmp", dir=self.path))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
            _weights_file(weights, tmp / WEIGHTS)
            torch.save(state, tmp / TRAINER_STATE)
            names = [WEIGHTS, TRAINER_STATE]
            if best is not None:
                _weights_file(best, tmp / BEST)
                names.append(BEST)
            manifest = {"step": step, "files": {n: _sha256(tmp / n) for n in names}}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")
            for name in [*names, MANIFEST]:
                _fsync(tmp / name)
            _fsync(tmp)
            current, old = self.file(CHECKPOINT), self.file(OLD_CHECKPOINT)
            if old.exists():
                shutil.rmtree(old)
            if current.exists():
                os.replace(current, old)
            os.replace(tmp, current)
            _fsync(self.path)
            shutil.rmtree(old, ignore_errors=True)
        except WRITE_ERRORS as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise CheckpointError(
                f"{self.path}: cannot write the checkpoint of step {step} ({_reason(e)}); "
                "the previous checkpoint is kept"
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def checkpoint(self) -> Path:
        """The folder of the last whole checkpoint, its manifest checked; falls back to
        the previous one (a kill between the renames), then to a format-1 run's files."""
        problems = []
        for name in (CHECKPOINT, OLD_CHECKPOINT):
            folder = self.file(name)
            if folder.is_dir():
                problem = _check_manifest(folder)
                if problem is None:
                    return folder
                problems.append(f"{name}/: {problem}")
        if not problems and self.file(TRAINER_STATE).is_file():  # rnnkit 0.1.0: in the run itself
            return self.path
        if problems:
            raise CheckpointError(f"{self.path}: no whole checkpoint ({'; '.join(problems)})")
        raise CheckpointError(f"{self.path}: no checkpoint; nothing to resume")

    def remove_stale_temporaries(self) -> list[str]:
        """Delete what a killed writer left behind (temporary files and checkpoint folders)."""
        stale = [p for p in self.path.glob(".*.tmp")]
        for p in stale:
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        return [p.name for p in stale]

    def has_checkpoint(self) -> bool:
        try:
            self.checkpoint()
        except CheckpointError:
            return False
        return True

    def load_checkpoint(
        self, model: nn.Module, device: str | torch.device = "cpu"
    ) -> tuple[dict[str, Any], Path | None]:
        """Load the raw weights into ``model``; returns the trainer state and the path of
        the best weights (None when the checkpoint has none)."""
        folder = self.checkpoint()
        load_weights_file(model, folder / WEIGHTS, device)
        best = folder / BEST
        return self.load_trainer_state(folder), best if best.is_file() else None

    def load_trainer_state(self, folder: Path | None = None) -> dict[str, Any]:
        """The trainer state of the last whole checkpoint: tensors and plain data only, a
        pickled object in the file is refused, never run."""
        path = (folder or self.checkpoint()) / TRAINER_STATE
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(
                f"{path}: refused to load (not a plain tensor checkpoint: {first})"
            ) from None

    # -- metrics ----------------------------------------------------------------------------
    def append_metrics(self, record: dict[str, Any]) -> None:
        """Add an evaluation's line; a line of the same step and kind (``full``) is replaced."""
        key = (record.get("step"), record.get("full"))
        kept = [r for r in self.read_metrics() if (r.get("step"), r.get("full")) != key]
        lines = "".join(json.dumps(r) + "\n" for r in [*kept, record])
        atomic_write(self.file(METRICS), lines)

    def read_metrics(self) -> list[dict[str, Any]]:
        path = self.file(METRICS)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def load_weights_file(model: nn.Module, path: Path, device: str | torch.device = "cpu") -> None:
    """Load a safetensors file into ``model``; nothing in it is executed."""
    try:
        tensors = safetensors.torch.load_file(path, device=str(device))
    except (safetensors.SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None
    # the names first (a part the model has and the file has not says more than the
    # shape it changes downstream); a tied name is filled through any name of its tensor
    # that the file holds (safetensors.torch.save_model may keep another one than ours)
    state = model.state_dict()
    aliases = _tied_names(state)
    loaded = {aliases.get(key, key) for key in tensors}
    missing = [key for key in state if aliases.get(key, key) not in loaded]
    unexpected = [key for key in tensors if key not in state]
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not fit the model "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    try:
        model.load_state_dict(tensors, strict=False)
    except RuntimeError as e:  # shape mismatch
        first = str(e).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{path}: weights do not fit the model ({first})") from None


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


def _check_manifest(folder: Path) -> str | None:
    """What is wrong with a checkpoint folder, or None when its files match its manifest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return "no readable manifest"
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if _sha256(path) != digest:
            return f"{name} does not match its SHA-256 in the manifest"
    return None
