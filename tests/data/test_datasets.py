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
