"""Every script in examples/ runs at a small size and learns or shows what its lecture says.

Each example is imported by its file path and its ``main(argv)`` called with
small sizes; the assertions are on what it returns and what it prints.
"""

import importlib.util
import math
import re
from pathlib import Path

import pytest

from rnnkit.data import embedded

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_example(name: str, argv: list[str]):
    return _load(name).main(argv)


def test_every_example_has_a_main_and_a_docstring_naming_how_to_run_it():
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith('"""'), path.name
        assert f"python examples/{path.name}" in text, path.name
        assert "def main(argv=None)" in text and 'if __name__ == "__main__":' in text, path.name


def test_rnn_shapes_follow_torch_nn_and_scratch_equals_torch(capsys):
    result = run_example("rnn_shapes", ["--batch", "3", "--length", "5", "--hidden", "2"])
    assert result["hello"] == ((3, 5, 2), (1, 3, 2))
    # note 004's code leaves out batch_first: its (3, 5, 4) input runs as length 3, batch 5
    assert result["hello_as_written"] == ((3, 5, 2), (1, 5, 2))
    assert result["axis_swap"] == ((5, 4, 4), (4, 5, 4))  # note 003: (N, L, F) -> (L, N, F)
    assert len(result["shapes"]) == 12
    N, L, H = 3, 5, 2
    for r in result["shapes"]:
        D = 2 if r["bidirectional"] else 1
        expected_out = (N, L, D * H) if r["batch_first"] else (L, N, D * H)
        assert r["output"] == expected_out, r
        assert r["h_n"] == (r["num_layers"] * D, N, H), r  # the state is never batch-first
        assert r["c_n"] == (r["h_n"] if r["module"] == "LSTM" else None), r
    assert result["scratch_max_diff"] < 1e-5
    printed = capsys.readouterr().out
    assert "input (3, 5, 4) -> outputs (3, 5, 2), _status (1, 3, 2)" in printed
    assert "(note 004's code): read as length 3, batch 5" in printed
    assert "input (3, 5, 4) -> outputs (3, 5, 2), _status (1, 5, 2)" in printed
    assert (
        "LSTM   False       2      True   (5, 3, 4) -> (5, 3, 4), (4, 3, 2), (4, 3, 2)" in printed
    )


def test_hihello_prints_ihello_within_100_epochs(capsys):
    result = run_example("hihello", ["--epochs", "100", "--log-every", "100"])
    assert result == {"one_hot": "ihello", "embedding": "ihello"}
    lines = capsys.readouterr().out.splitlines()
    finals = [line for line in lines if line.startswith(" 99 ")]
    assert len(finals) == 2 and all(line.endswith("prediction str: ihello") for line in finals)
    firsts = [line for line in lines if line.startswith("  0 ")]
    assert not any(line.endswith("ihello") for line in firsts)  # it was learnt, not given


def test_charseq_reproduces_its_sentence_one_character_ahead():
    # the lecture's string starts with a space, so the first prediction is the "i" of "if"
    module = _load("charseq")
    assert module.SAMPLE == " if you want you" and len(module.SAMPLE) == 16
    assert run_example("charseq", ["--epochs", "50"]) == "if you want you"
    assert run_example("charseq", ["--epochs", "60", "--sample", "hello world"]) == "ello world"


def test_long_sentence_windows_reproduce_the_sentence(capsys):
    sentence = embedded.load("long_sentence")
    predicted = run_example("long_sentence", ["--epochs", "100", "--log-every", "100"])
    # the first character is read with no context (see the example); the rest is learnt
    assert len(predicted) == len(sentence) - 1
    assert predicted[1:] == sentence[2:]
    printed = capsys.readouterr().out
    assert "x[0]    [if you wan]      y[0]  [f you want]" in printed
    assert f"{len(sentence) - 10} windows of 10 characters" in printed
    assert "after 'i' come 6 characters: f g l m p t" in printed


def test_long_sentence_window_diagram_is_as_wide_as_the_windows():
    module = _load("long_sentence")
    sentence = embedded.load("long_sentence")
    assert module.followers(sentence, "i") == ["f", "g", "l", "m", "p", "t"]
    for length in (5, 10):
        rows = module.window_diagram(sentence, length, 3)[1:]
        for i, row in enumerate(rows):
            x, y = re.findall(r"\s\[([^\]]*)\]", row)
            assert len(x) == len(y) == length, row
            assert x == sentence[i : i + length] and y == sentence[i + 1 : i + length + 1]


def test_packed_sequence_h_n_equals_each_sequence_alone():
    for backend in ("torch", "scratch"):
        result = run_example("packed_sequence", ["--lengths", "2", "6", "3", "1",
                                                 "--backend", backend])  # fmt: skip
        assert result["equal_alone"] == [True] * 4
        assert result["padding_is_zero"]
        assert result["unpacked_lengths"] == [2, 6, 3, 1]  # original order restored
        assert result["padding_changes_h_n"] == [True, False, True, True]


def test_bidirectional_lstm_states_shapes_and_next_token_needs_the_backward_direction():
    result = run_example("bidirectional_lstm", ["--layers", "2", "--steps", "120"])
    assert result["output"] == (4, 6, 6) and result["h_n"] == (4, 4, 3)
    assert result["checks"] == [True, True, True, True]
    assert result["many_to_many"] == (4, 6, 3) and result["many_to_one"] == (4, 3)
    assert result["bidirectional"] > 0.9
    # left to right only the last position (no next token) is knowable: 1/10 + 9/10 * 1/8
    assert result["left-to-right"] < 0.35


def test_dropout_between_layers_eval_deterministic_and_layer_norm_keys():
    result = run_example("dropout_layernorm", [])
    assert result["top_ignores_input"] and result["top_not_zero"]
    assert result["first_layer_reads_input"] and result["single_layer_warns"]
    assert result["train_differs"] and result["eval_same"]
    assert result["locked_same_every_step"] and not result["plain_same_every_step"]
    assert result["plain_keys"] == result["torch_keys"]
    assert result["layer_norm_keys"] == [
        "ln_ih_l0.weight", "ln_hh_l0.weight", "ln_c_l0.weight", "ln_c_l0.bias",
    ]  # fmt: skip


def test_names_classification_beats_the_majority_class(tmp_path, capsys):
    result = run_example(
        "names_classification",
        ["--epochs", "1", "--steps", "60", "--hidden", "32", "--out", str(tmp_path / "run")],
    )
    assert result["valid_accuracy"] > result["majority"] + 0.1
    assert result["train_accuracy"] > result["majority"]
    assert (tmp_path / "run" / "model.safetensors").exists()
    printed = capsys.readouterr().out
    assert "packed batch_sizes: [3, 3, 3," in printed
    assert "Nakamura" in printed and "valid: accuracy" in printed


def test_lm_road_counts_context_and_the_networks_beat_uniform(tmp_path):
    result = run_example(
        "lm_road",
        ["--chars", "60000", "--steps", "80", "--hidden", "32", "--out", str(tmp_path)],
    )
    bits = result["bits_per_char"]
    assert list(bits) == ["unigram", "5-gram", "window 8", "LSTM"]
    assert bits["5-gram"] < bits["unigram"] - 1.0  # four characters of context help a lot
    uniform = math.log2(result["vocab_size"])
    assert bits["window 8"] < uniform - 1.0
    assert bits["LSTM"] < uniform - 1.0


def test_korean_tsv_pipeline_tokenizes_morphemes_buckets_and_learns(tmp_path, capsys):
    pytest.importorskip("kiwipiepy")
    result = run_example("korean_tsv_pipeline", ["--epochs", "10"])
    assert result["train_accuracy"] == 1.0
    assert result["vocab"].stoi["<pad>"] == 0
    tokens = result["tokenizer"].tokenize("이 영화 정말 재밌어요")
    assert "영화" in tokens and "재밌어요" not in tokens  # endings split off the stem
    lengths = result["lengths"]
    seen = sorted(i for batch in result["batches"] for i in batch)
    assert seen == list(range(len(lengths)))
    for batch in result["batches"]:  # a bucket sorts by length before it is cut
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)
    printed = capsys.readouterr().out
    assert "24 reviews from train.txt" in printed  # note 002's headerless train.txt
    assert "one batch: x (3, " in printed  # the note's batch_size=3
    assert result["test_accuracy"] is not None


def test_char_lstm_shakespeare_samples_from_its_prompt(tmp_path):
    result = run_example(
        "char_lstm_shakespeare",
        ["--max-steps", "80", "--hidden", "32", "--max-new", "60", "--out", str(tmp_path / "r")],
    )
    assert result["sample"].startswith("ROMEO:\n")
    assert len(result["sample"]) == len("ROMEO:\n") + 60
    assert result["metrics"]["bits_per_char"] < math.log2(result["vocab_size"]) - 1.0
