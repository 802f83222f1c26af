"""PackedSequence: run an RNN over sequences of different lengths without the padding.

    python examples/packed_sequence.py
    python examples/packed_sequence.py --lengths 2 6 3 1

1. Pad sequences of unsorted lengths with rnnkit.data.pad_batch (padded batch,
   lengths, mask), pack them with rnnkit.data.pack (no sorting needed: it
   packs with enforce_sorted=False), and look at what a PackedSequence holds.
2. Run rnnkit.nn.LSTM on the packed batch and unpack the output: the rows come
   back in their original order, the padding positions are zeros, and each
   sequence's h_n is its state after its own last step, exactly what running
   that sequence alone gives.
3. The mistake packing prevents: running the padded batch as it is, the short
   sequences' final states have also read the padding.
"""

import argparse

import torch

import rnnkit.nn
from rnnkit.data import pack, pad_batch, unpack


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[3, 5, 2])
    parser.add_argument("--input-size", type=int, default=4, help="H_in")
    parser.add_argument("--hidden", type=int, default=3, help="H")
    parser.add_argument("--backend", default="auto", choices=["auto", "torch", "scratch"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)

    seqs = [torch.randn(n, args.input_size) for n in args.lengths]  # N tensors (L_i, H_in)
    padded, lengths, mask = pad_batch(seqs)  # (N, L, H_in), (N,), (N, L)
    print(f"padded {tuple(padded.shape)}, lengths {lengths.tolist()}")
    print(f"mask (True = real step):\n{mask.int()}")

    packed = pack(padded, lengths)  # sorted longest first inside; unsorted_indices undo it
    print(f"packed.data {tuple(packed.data.shape)} (one row per real step: {sum(args.lengths)})")
    print(f"packed.batch_sizes {packed.batch_sizes.tolist()} (sequences still running per step)")
    print(f"packed.sorted_indices {packed.sorted_indices.tolist()}")

    lstm = rnnkit.nn.LSTM(args.input_size, args.hidden, batch_first=True, backend=args.backend)
    with torch.no_grad():
        packed_out, (h_n, c_n) = lstm(packed)  # PackedSequence, (1, N, H), (1, N, H)
        out, out_lengths = unpack(packed_out)  # (N, L, H) in the original row order
        print(f"unpacked output {tuple(out.shape)}, lengths {out_lengths.tolist()}")
        padding_is_zero = bool((out[~mask] == 0).all())
        print(f"output at padding positions is zero: {padding_is_zero}")

        equal_alone = []
        for i, seq in enumerate(seqs):
            out_i, (h_i, c_i) = lstm(seq.unsqueeze(0))  # (1, L_i, H), (1, 1, H)
            same = torch.allclose(h_n[:, i], h_i[:, 0], atol=1e-6) and torch.allclose(
                out[i, : len(seq)], out_i[0], atol=1e-6
            )
            equal_alone.append(same)
            print(f"sequence {i} (length {len(seq)}): packed h_n == run alone: {same}")

        _, (h_padded, _) = lstm(padded)  # the padded batch, without packing
        read_padding = [
            not torch.allclose(h_padded[:, i], h_n[:, i], atol=1e-6) for i in range(len(seqs))
        ]
        print(
            f"without packing, h_n differs for rows {[i for i, d in enumerate(read_padding) if d]}"
        )
        print("(every row shorter than the longest has also stepped through its padding)")
    return {
        "equal_alone": equal_alone,
        "padding_is_zero": padding_is_zero,
        "unpacked_lengths": out_lengths.tolist(),
        "padding_changes_h_n": read_padding,
    }


if __name__ == "__main__":
    main()
