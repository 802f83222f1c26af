"""The examples written for the lecture notes' gaps (issue 24), at small sizes: LSTM and GRU
internals, vanishing gradients, n-gram theory, note 000's hihello and ASCII inputs,
DataParallel beside DDP, Korean POS/NER on Kiwi morphemes, English -> Korean seq2seq."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"gap_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lstm_by_hand_additive_path_and_the_gru_update_gate(capsys):
    result = _load("lstm_gru_internals").main([])
    assert result["lstm_diff"] < 1e-6  # the four gates by hand == LSTMCell
    assert result["cell_kept"] and result["cell_grad"] == pytest.approx(1.0)
    # torch's (and rnnkit's) h' = (1 - z) n + z h: z = 1 copies h, z = 0 does not
    assert result["gru_copies"] == {1: True, 0: False}
    assert (
        "note 002's 'z = 0 copies the previous state' is rnnkit's z = 1" in capsys.readouterr().out
    )


def test_gradient_vanishes_for_the_rnn_not_for_an_lstm_with_forget_bias_and_bptt_is_a_sum():
    result = _load("vanishing_gradients").main(["--length", "40", "--batch", "8"])
    norms = result["norms"]
    T = 40

    def back(name, k):  # ||dL/dx_(T-1-k)|| relative to the last step's
        return norms[name][T - 1 - k] / norms[name][T - 1]

    assert back("RNN", 30) < 1e-6
    assert back("LSTM, forget bias 1", 30) > 1e3 * back("RNN", 30)
    assert back("LSTM", 30) > back("RNN", 30)
    assert back("RNN", 5) > back("RNN", 15) > back("RNN", 30)  # fading with distance
    assert result["bptt_diff"] < 1e-5


def test_ngram_theory_on_the_notes_sentence(capsys):
    result = _load("ngram_theory").main([])
    grams = result["ngrams"]
    assert [len(grams[n]) for n in (1, 2, 3, 4)] == [9, 8, 7, 6]
    assert grams[2][:2] == ["철수 와", "와 영희"] and grams[4][0] == "철수 와 영희 는"
    assert result["next"][0][0] == "먹었다"  # 철수와 영희는 식탁에 앉아 사과를 먹었다
    rows = result["sparsity"]
    unseen = [r["unseen"] for r in rows]
    assert unseen[0] == 0 and unseen == sorted(unseen) and unseen[-1] > 0.3
    V = result["vocab_size"]
    assert [r["possible"] for r in rows] == [V**n for n in range(1, len(rows) + 1)]
    assert result["mle"] == 0.0 and result["kn"] > 0.0  # an unseen n-gram: 0 by counts
    assert result["shapes"] == {"E": (V, 3), "W_e": (3, 5), "W_h": (5, 5), "U": (5, V)}
    assert "h^(0) is zeros (1, 1, 5)" in capsys.readouterr().out


def test_hihello_one_character_per_call_and_ascii_inputs(capsys):
    result = _load("hihello_one_at_a_time").main(["--epochs", "100", "--log-every", "100"])
    assert result["predicted"] == "ihello"
    assert result["loop_vs_call"] < 1e-6  # six calls carrying the state == one call
    ascii_ = result["ascii"]
    assert ascii_["batch"] == (4, 6) and ascii_["input"] == (6, 4)  # B x S -> S x B
    assert ascii_["embedding"] == (6, 4, 8) and ascii_["hidden"] == (1, 4, 8)
    assert ascii_["fc"] == (1, 4, 18) and ascii_["outside"] == ["ü"]
    printed = capsys.readouterr().out
    assert "'hard': [104, 97, 114, 100]" in printed
    assert "the summed loss cannot go below 2.596" in printed


def test_data_parallel_prefix_the_cut_along_dim_0_and_ddp_gradients():
    result = _load("data_parallel").main([])
    assert result["same"] and result["prefixed"]
    pieces = result["pieces"]
    assert pieces["batch-first x (N, L, F)"] == [(3, 5, 4), (3, 5, 4)]
    assert pieces["time-first x (L, N, F)"] == [(3, 6, 4), (2, 6, 4)]  # cut along time
    assert pieces["h_0 (layers, N, H)"] == [(1, 6, 8), (1, 6, 8)]  # cut along layers
    assert result["ddp_diff"] == 0.0


def test_korean_pos_and_ner_on_kiwi_morphemes(tmp_path):
    pytest.importorskip("kiwipiepy")
    argv = ["--train", "40", "--valid", "10", "--steps", "80", "--hidden", "32",
            "--out", str(tmp_path)]  # fmt: skip
    module = _load("korean_pos_ner")
    result = module.main(argv)
    forms, tags = result["ner"]["first"]
    assert len(forms) == len(tags) and tags[0] == "B-PER"
    assert module.bio_over_morphemes(["박", "지훈", "씨", "는"], [("박지훈", "PER")]) == [
        "B-PER", "I-PER", "O", "O",
    ]  # fmt: skip
    assert result["pos"]["metric"] > 0.8  # token accuracy against Kiwi's tags
    assert result["ner"]["metric"] > 0.5  # entity F1 on other draws of the templates
    first = result["ner"]["predictions"][0]
    assert first["tokens"][:2] == ["박", "지훈"] and len(first["tags"]) == len(first["tokens"])
    assert result["srl"] == [("ARG0", 0, 1), ("ARGM-LOC", 2, 3), ("ARG1", 4, 5), ("V", 6, 7)]
    assert (tmp_path / "ner" / "model.safetensors").exists()


def test_seq2seq_english_to_korean_learns_its_pairs(tmp_path):
    module = _load("seq2seq_en_ko")
    assert len(module.PAIRS) == 40
    assert all(en.endswith(" .") and ko for en, ko in module.PAIRS)
    result = module.main(["--steps", "150", "--out", str(tmp_path / "run")])
    assert result["train_exact"] >= 30, result["outputs"]
    assert len(result["unseen"]) == len(module.UNSEEN)
    assert (tmp_path / "run" / "model.safetensors").exists()
