import pytest
import torch

from rnnkit.data.datasets import LMStream, batchify
from rnnkit.errors import DataError


def test_batchify_cuts_contiguous_rows_and_drops_the_tail():
    ids = torch.arange(26)
    rows = batchify(ids, 4)
    assert rows.shape == (4, 6)
    assert rows[1].tolist() == [6, 7, 8, 9, 10, 11]


def test_stream_targets_are_inputs_shifted_and_rows_continue_across_batches():
    stream = LMStream(torch.arange(40), batch_size=2, bptt=3)  # rows 0..19, 20..39
    assert len(stream) == 7  # 19 predictions per row, 3 per batch, last batch shorter
    xs, ys = zip(*(stream[i] for i in range(len(stream))))
    x, y = torch.cat(xs, dim=1), torch.cat(ys, dim=1)
    assert x[0].tolist() == list(range(19)) and y[0].tolist() == list(range(1, 20))
    assert x[1, 0].item() == 20
    assert stream.num_tokens == 38 == sum(t.numel() for t in ys)


def test_stream_too_short_for_the_batch_size_is_a_data_error():
    with pytest.raises(DataError, match="lower --batch-size"):
        LMStream(torch.arange(5), batch_size=4, bptt=2, source="tiny.txt")


# --- random chunks, labelled, tagged, pairs --------------------------------------------------

from rnnkit.data.conll import read_conll  # noqa: E402
from rnnkit.data.datasets import (  # noqa: E402
    LabelledDataset,
    PairDataset,
    RandomChunks,
    TaggedDataset,
    text_codepoints,
)
from rnnkit.data.readers import read_labelled, read_pairs  # noqa: E402
from rnnkit.data.tokenizers import CharTokenizer, WordTokenizer  # noqa: E402
from rnnkit.data.vocab import build_vocab  # noqa: E402


def test_random_chunks_are_shifted_pairs_reproducible_by_seed_and_epoch():
    ids = torch.arange(1000)
    chunks = RandomChunks(ids, batch_size=4, length=10, seed=7)
    batches = list(chunks)
    assert len(batches) == len(chunks) == 999 // 40
    x, y = batches[0]
    assert x.shape == y.shape == (4, 10)
    assert torch.equal(y, x + 1)  # ids are positions: targets are the next ids
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, RandomChunks(ids, 4, 10, seed=7)))
    chunks.set_epoch(1)
    assert not torch.equal(next(iter(chunks))[0], x)
    with pytest.raises(DataError, match="at least 11 tokens"):
        RandomChunks(torch.arange(5), 2, 10)


def test_labelled_dataset_from_reader_keeps_lines_for_its_errors(fixtures, tmp_path):
    rows = read_labelled(fixtures / "reviews_ko.tsv", text_column="document", label_column="label")
    tokenizer = CharTokenizer()
    vocab = build_vocab(c for text, _ in rows for c in tokenizer.tokenize(text))
    data = LabelledDataset.from_examples(rows, tokenizer, vocab)
    assert data.label_names == ["0", "1"] and len(data) == 20
    ids, label = data[0]
    assert ids.dtype == torch.int64 and label == 1
    assert data.lengths[0] == len("이 영화 정말 재밌어요")
    with pytest.raises(
        DataError, match=r"reviews_ko\.tsv:2: expected a label among \['neg', 'pos'\]"
    ):
        LabelledDataset.from_examples(rows, tokenizer, vocab, label_names=["neg", "pos"])
    assert data.chars is None
    spelled = LabelledDataset.from_examples(rows[:2], tokenizer, vocab, spell=True)
    ids, label, chars = spelled[0]  # the text's code points, for the character bag
    assert chars.tolist() == [ord(c) for c in "이 영화 정말 재밌어요"]
    assert text_codepoints(" a \t b\n").tolist() == [97, 32, 98]  # one space for a run
    path = tmp_path / "punct.tsv"
    path.write_text("fine\t1\n!!!\t0\n", encoding="utf-8")
    rows = read_labelled(path)
    with pytest.raises(
        DataError, match=r"punct\.tsv:2: expected a text with at least one token, got '!!!'$"
    ):
        LabelledDataset.from_examples(rows, _AlphanumericWords(), build_vocab(["fine"]))
    with pytest.raises(DataError, match=r"got '\?\?' \(example 1\)$"):  # in memory: its index
        LabelledDataset.from_examples([("fine", "1"), ("??", "0")], _AlphanumericWords(), vocab)


class _AlphanumericWords(WordTokenizer):
    """Words without punctuation: '!!!' has no token."""

    def tokenize(self, text):
        return [w for w in super().tokenize(text) if w.isalnum()]


def test_tagged_dataset_spells_each_word_in_characters(fixtures):
    sentences = read_conll(fixtures / "ner.conll")
    words = build_vocab(t.lower() for s in sentences for t in s.tokens)
    chars = TaggedDataset.char_vocab_of(sentences)
    data = TaggedDataset.from_sentences(sentences, words, chars, lowercase=True)
    word_ids, tag_ids, char_ids = data[1]  # Peter Blackburn
    assert words.decode(word_ids) == ["peter", "blackburn"]
    assert [data.tag_names[t] for t in tag_ids] == ["B-PER", "I-PER"]
    assert "".join(chars.decode(char_ids[0])) == "Peter"  # characters keep their case
    with pytest.raises(DataError, match=r"ner\.conll:3: expected tags among"):
        TaggedDataset.from_sentences(sentences, words, chars, tag_names=["O"])


def test_pair_dataset_wraps_targets_in_bos_and_eos(fixtures):
    pairs = read_pairs(fixtures / "pairs.tsv")
    tokenizer = CharTokenizer()
    vocab = build_vocab(c for p in pairs for side in p for c in side)
    data = PairDataset.from_pairs(pairs, tokenizer, vocab)
    src, tgt = data[0]
    assert vocab.decode(src) == list("Go.")
    assert tgt[0] == vocab.bos_id and tgt[-1] == vocab.eos_id
    assert vocab.decode(tgt[1:-1]) == list("Va !")
