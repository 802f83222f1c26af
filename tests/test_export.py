"""``rnnkit export``: every task's graphs in onnxruntime give the eager model's outputs
within 1e-4, at another batch size and sequence length than the traced ones; what
cannot export is refused in one line; docs/export.md's script runs without rnnkit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import rnnkit
from rnnkit.cli import main
from rnnkit.models.seq2seq import DecoderState

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
TEXT = {"hidden_size": 16, "embedding_dim": 8, "max_steps": 2, "eval_every": 2}
CASES = {
    "lm": {"data": "tiny.txt", "num_layers": 2, "bptt": 16, "batch_size": 4},
    "classify": {"data": "tasks/classify.tsv", "num_layers": 2, "ngram_buckets": 64},
    "tag": {"data": "tasks/tag.conll", "char_hidden_size": 4, "char_embedding_dim": 4},
    "forecast": {"data": "tasks/forecast.csv", "target": "load", "lookback": 8, "horizon": 2},
    "seq2seq": {"data": "tasks/seq2seq.tsv", "num_layers": 2, "cell": "lstm"},
}
TOL = {"atol": 1e-4, "rtol": 0.0}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One tiny run of each task, exported once: {task: (predictor, folder)}."""
    from rnnkit.export import export

    root, out = tmp_path_factory.mktemp("export"), {}
    for task, case in CASES.items():
        options = {**TEXT, **case, "data": str(FIXTURES / case["data"])}
        if task == "forecast":
            options.pop("embedding_dim")
        predictor = rnnkit.train(task, out=root / task, progress=False, **options)
        out[task] = predictor, export(root / task, root / f"{task}-onnx")
    return out


def _session(folder: Path, name: str):
    return ort.InferenceSession(str(folder / f"{name}.onnx"), providers=["CPUExecutionProvider"])


def _ids(V: int, lengths: list[int], seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths_t = torch.tensor(lengths)
    x = torch.randint(1, V, (len(lengths), max(lengths)), generator=g)
    return x * (torch.arange(x.size(1)) < lengths_t.unsqueeze(1)), lengths_t


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def test_the_folder_holds_the_graphs_their_signatures_and_the_assets(exported):
    for task, (_, folder) in exported.items():
        manifest = json.loads((folder / "export.json").read_text())
        assert manifest["task"] == task
        for name, graph in manifest["graphs"].items():
            assert (folder / graph["file"]).is_file()
            names = [i.name for i in _session(folder, name).get_inputs()]
            assert [i["name"] for i in graph["inputs"]] == names
        for asset in ["config.json", *manifest["assets"]]:
            assert (folder / asset).is_file()
    assert exported["classify"][1].joinpath("vocab.json").is_file()
    assert json.loads((exported["classify"][1] / "export.json").read_text())["info"]["labels"]


def test_lm_step_carries_the_state_as_the_eager_model(exported):
    predictor, folder = exported["lm"]
    model, m = predictor.model, predictor.config.model
    session = _session(folder, "step")
    state = (torch.zeros(2, 3, 16), torch.zeros(2, 3, 16))  # batch 3 (traced at 2), lstm
    feeds = {"h": _np(state[0]), "c": _np(state[1])}
    for token in _ids(m.vocab_size, [5, 5, 5])[0].T:  # five steps, the state carried
        logits, state = model.step(token, state)
        got = session.run(None, {"token": _np(token), **feeds})
        torch.testing.assert_close(torch.from_numpy(got[0]), logits, **TOL)
        torch.testing.assert_close(torch.from_numpy(got[1]), state[0], **TOL)
        torch.testing.assert_close(torch.from_numpy(got[2]), state[1], **TOL)
        feeds = {"h": got[1], "c": got[2]}


def test_classifier_logits_match_the_packed_model(exported):
    predictor, folder = exported["classify"]
    x, lengths = _ids(predictor.config.model.vocab_size, [11, 2, 9, 1, 6])  # traced: (3, 7)
    (logits,) = _session(folder, "model").run(None, {"x": _np(x), "lengths": _np(lengths)})
    torch.testing.assert_close(torch.from_numpy(logits), predictor.model(x, lengths), **TOL)


def test_a_word_classifier_reads_the_texts_characters_in_the_graph_too(tmp_path):
    from rnnkit.export import export

    texts = [f"the {w} was {v} today ." for w in ("cat", "dog", "owl") for v in ("calm", "loud")]
    data = [(t, t.split()[3]) for t in texts] * 3
    predictor = rnnkit.train("classify", data=data, out=tmp_path / "run", progress=False, **TEXT)
    assert predictor.model.char_bag is not None  # words: the character bag by default
    folder = export(tmp_path / "run", tmp_path / "onnx")
    assert "code points" in json.loads((folder / "export.json").read_text())["info"]["chars"]
    unseen = ["the  quokka was calm today .", "a zebra was loud", "the cat was calm today ."]
    x, lengths = _ids(predictor.config.model.vocab_size, [7, 4, 2])  # traced: (3, 7)
    points = [torch.tensor([ord(c) for c in " ".join(t.split())]) for t in unseen]
    chars = torch.nn.utils.rnn.pad_sequence(points, batch_first=True)  # (3, C)
    char_lengths = torch.tensor([len(p) for p in points])
    feeds = {"x": x, "lengths": lengths, "chars": chars, "char_lengths": char_lengths}
    (logits,) = _session(folder, "model").run(None, {k: _np(v) for k, v in feeds.items()})
    expected = predictor.model(x, lengths, chars, char_lengths)
    torch.testing.assert_close(torch.from_numpy(logits), expected, **TOL)
    text = (ROOT / "docs" / "export.md").read_text("utf-8")  # the docs' script feeds them too
    script = re.search(r"```python\n# run_onnx.py\n(.*?)```", text, re.S).group(1)
    (tmp_path / "run_onnx.py").write_text(script, "utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "run_onnx.py"), str(folder), *unseen],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = [json.loads(line)["probability"] for line in done.stdout.splitlines()]
    expected = [e["probability"] for e in predictor.predict(unseen)]
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_tagger_emissions_and_crf_transitions_match(exported):
    predictor, folder = exported["tag"]
    m, model = predictor.config.model, predictor.model
    x, lengths = _ids(m.vocab_size, [9, 4, 7])  # traced: (2, 6)
    chars, char_lengths = _ids(m.char_vocab_size, [3, 8, 1] * 9, seed=4)  # (27, 8)
    char_lengths = char_lengths.view(3, 9) * (x != 0)  # (N, L), 0 on padding words
    chars = chars.view(3, 9, 8)
    real = char_lengths > 0
    expected = model(x, lengths, chars[real], char_lengths[real])
    feeds = {"x": x, "lengths": lengths, "chars": chars, "char_lengths": char_lengths}
    got = _session(folder, "model").run(None, {k: _np(v) for k, v in feeds.items()})
    torch.testing.assert_close(torch.from_numpy(got[0]), expected, **TOL)
    torch.testing.assert_close(torch.from_numpy(got[1]), model.crf.transitions.detach())
    torch.testing.assert_close(torch.from_numpy(got[3]), model.crf.end_transitions.detach())


def test_a_tagger_spelling_words_by_its_n_gram_bag_alone_exports(tmp_path):
    from rnnkit.export import export

    options = {**TEXT, **CASES["tag"], "char_hidden_size": 0, "char_ngram_buckets": 64}
    predictor = rnnkit.train("tag", out=tmp_path / "run", progress=False,
                             **{**options, "data": str(FIXTURES / CASES["tag"]["data"])})  # fmt: skip
    model, m = predictor.model, predictor.config.model
    assert model.chars is None and model.char_bag is not None
    x, lengths = _ids(m.vocab_size, [5, 7])
    chars, char_lengths = _ids(m.char_vocab_size, [2, 6] * 7, seed=5)  # (14, 6)
    char_lengths = char_lengths.view(2, 7) * (x != 0)
    chars = chars.view(2, 7, 6)
    real = char_lengths > 0
    expected = model(x, lengths, chars[real], char_lengths[real])
    feeds = {"x": x, "lengths": lengths, "chars": chars, "char_lengths": char_lengths}
    got = _session(export(tmp_path / "run", tmp_path / "onnx"), "model").run(
        None, {k: _np(v) for k, v in feeds.items()}
    )
    torch.testing.assert_close(torch.from_numpy(got[0]), expected, **TOL)


def test_a_tagger_reading_words_alone_exports(tmp_path):
    from rnnkit.export import export

    options = {**TEXT, **CASES["tag"], "char_hidden_size": 0, "char_ngrams": 0}
    predictor = rnnkit.train("tag", out=tmp_path / "run", progress=False,
                             **{**options, "data": str(FIXTURES / CASES["tag"]["data"])})  # fmt: skip
    assert not predictor.model.spells  # the graph's *spelling takes nothing
    x, lengths = _ids(predictor.config.model.vocab_size, [5, 7])
    folder = export(tmp_path / "run", tmp_path / "onnx")
    session = _session(folder, "model")
    assert [i.name for i in session.get_inputs()] == ["x", "lengths"]
    got = session.run(None, {"x": _np(x), "lengths": _np(lengths)})
    torch.testing.assert_close(torch.from_numpy(got[0]), predictor.model(x, lengths), **TOL)


def test_forecaster_matches_on_longer_windows(exported):
    predictor, folder = exported["forecast"]
    x = torch.randn(5, 13, predictor.model.input_size)  # traced: (2, 8)
    (y,) = _session(folder, "model").run(None, {"x": _np(x)})
    torch.testing.assert_close(torch.from_numpy(y), predictor.model(x), **TOL)


def test_seq2seq_encoder_and_decoder_step_match(exported):
    predictor, folder = exported["seq2seq"]
    model, m = predictor.model, predictor.config.model
    src, src_lengths = _ids(m.vocab_size, [4, 10, 1])  # traced: (2, 7)
    memory, h, c = _session(folder, "encoder").run(
        None, {"src": _np(src), "src_lengths": _np(src_lengths)}
    )
    state = model.start(src, src_lengths)
    torch.testing.assert_close(torch.from_numpy(memory), state.memory, **TOL)
    torch.testing.assert_close(torch.from_numpy(h[:1]), state.bottom[0], **TOL)
    torch.testing.assert_close(torch.from_numpy(c[1:]), state.upper[1], **TOL)
    decoder = _session(folder, "decoder")
    feeds = {"memory": memory, "src_lengths": _np(src_lengths), "h": h, "c": c}
    y = torch.full((3,), predictor.tgt_vocab.bos_id)
    for _ in range(3):
        log_probs, state, weights = model.step(y, state)
        got = decoder.run(None, {"token": _np(y), **feeds})
        torch.testing.assert_close(torch.from_numpy(got[0]), log_probs, **TOL)
        torch.testing.assert_close(torch.from_numpy(got[3]), weights, **TOL)
        feeds |= {"h": got[1], "c": got[2]}
        y = log_probs.argmax(-1)
    assert isinstance(state, DecoderState)


def test_a_configuration_that_cannot_export_is_refused_in_one_line(tmp_path, capsys):
    options = {**TEXT, **CASES["classify"], "data": str(FIXTURES / "tasks/classify.tsv")}
    rnnkit.train("classify", out=tmp_path / "run", progress=False, backend="scratch", **options)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["export", str(tmp_path / "run"), "--format", "onnx"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnkit: error: backend 'scratch' runs a Python loop") and "\n" not in err
    assert not (tmp_path / "run" / "onnx").exists()


def test_an_export_never_writes_over_a_run_or_other_files(exported, tmp_path, capsys):
    """docs/export.md: the folder is new, empty or an earlier export (replaced)."""
    (lm, _), (classify, again) = exported["lm"], exported["classify"]
    before = {p.name: p.read_bytes() for p in classify.run.path.iterdir() if p.is_file()}
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("keep me\n")
    for target in (classify.run.path, other):
        with pytest.raises(SystemExit) as e:
            main(["export", str(lm.run.path), "--out", str(target)])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"rnnkit: error: {target}: not empty and not an earlier export")
        assert "\n" not in err
    after = {p.name: p.read_bytes() for p in classify.run.path.iterdir() if p.is_file()}
    assert after == before and rnnkit.load(classify.run.path).predict(["Smith"])
    assert sorted(p.name for p in other.iterdir()) == ["todo.txt"]
    main(["export", str(classify.run.path), "--out", str(again)])  # an earlier export: replaced
    assert json.loads((again / "export.json").read_text())["task"] == "classify"


def test_docs_export_script_runs_with_onnxruntime_alone(exported, tmp_path):
    text = (ROOT / "docs" / "export.md").read_text("utf-8")
    script = re.search(r"```python\n# run_onnx.py\n(.*?)```", text, re.S).group(1)
    (tmp_path / "run_onnx.py").write_text(script, "utf-8")
    folder = exported["classify"][1]
    done = subprocess.run(
        [sys.executable, str(tmp_path / "run_onnx.py"), str(folder), "abcab", "gfe"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    expected = exported["classify"][0].predict(["abcab", "gfe"])
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert [g["label"] for g in got] == [e["label"] for e in expected]
    for g, e in zip(got, expected):
        assert abs(g["probability"] - e["probability"]) < 1e-4
    assert "rnnkit" not in script.replace("rnnkit[", "")
    predictor, folder = exported["lm"]
    done = subprocess.run(
        [sys.executable, str(tmp_path / "run_onnx.py"), str(folder), "ALL:"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    expected = predictor.generate("ALL:", max_new=20, temperature=0.0)
    assert "ALL:" + json.loads(done.stdout)["output"] == expected
