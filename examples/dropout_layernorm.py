"""Dropout between LSTM layers, variational dropout, and the layer-normalised LSTM.

    python examples/dropout_layernorm.py

1. ``dropout=p`` in a stack acts between layers only: never on the recurrent
   connections, never on the last layer's output. At p=1 in training, the top
   layer sees zeros, so its output no longer depends on the input, yet it is
   not zero itself. A one-layer stack has nowhere to put it, and says so.
2. model.eval() turns dropout off: two evaluations agree, two training passes
   do not.
3. Variational (locked) dropout draws one mask per sequence and reuses it at
   every step; ordinary dropout draws a new mask each step.
4. layer_norm=True normalises the gate pre-activations and the cell state
   (Ba et al. 2016); the torch-named keys stay as they are and the layer norm
   adds its own, so a torch.nn.LSTM state_dict still loads.
"""

import argparse
import warnings

import torch

import rnnkit.nn


def between_layers_only(H_in: int, H: int, L: int) -> dict:
    lstm = rnnkit.nn.LSTM(H_in, H, num_layers=2, dropout=1.0, batch_first=True).train()
    a, b = torch.randn(1, L, H_in), torch.randn(1, L, H_in)
    out_a, (h_a, _) = lstm(a)  # (1, L, H), (2, 1, H)
    out_b, (h_b, _) = lstm(b)
    top_ignores_input = torch.allclose(out_a, out_b)
    top_not_zero = bool(out_a.abs().sum() > 0)
    first_layer_reads_input = not torch.allclose(h_a[0], h_b[0])
    print(f"dropout=1.0, train(): top layer output the same for two inputs: {top_ignores_input}")
    print(f"                      top layer output is not zero:            {top_not_zero}")
    print(
        f"                      layer 0 state differs with the input:    {first_layer_reads_input}"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rnnkit.nn.LSTM(H_in, H, num_layers=1, dropout=0.5)
    message = str(caught[0].message) if caught else ""
    print(f"num_layers=1, dropout=0.5 warns: {message}")
    return {
        "top_ignores_input": top_ignores_input,
        "top_not_zero": top_not_zero,
        "first_layer_reads_input": first_layer_reads_input,
        "single_layer_warns": bool(caught),
    }


def eval_is_deterministic(H_in: int, H: int, L: int) -> dict:
    lstm = rnnkit.nn.LSTM(H_in, H, num_layers=3, dropout=0.5, batch_first=True)
    x = torch.randn(2, L, H_in)
    lstm.train()
    train_differs = not torch.allclose(lstm(x)[0], lstm(x)[0])
    lstm.eval()
    eval_same = torch.equal(lstm(x)[0], lstm(x)[0])
    print(f"train(): two passes differ: {train_differs}; eval(): two passes equal: {eval_same}")
    return {"train_differs": train_differs, "eval_same": eval_same}


def variational_mask(F: int, L: int) -> dict:
    ones = torch.ones(L, 1, F)  # (L, N=1, F): what survives is the mask
    locked = rnnkit.nn.LockedDropout(p=0.5).train()(ones)[:, 0]  # (L, F)
    plain = torch.nn.functional.dropout(ones, p=0.5, training=True)[:, 0]  # (L, F)
    locked_same = bool((locked == locked[0]).all())
    plain_same = bool((plain == plain[0]).all())
    print("locked dropout mask per step (1 = kept):")
    print((locked > 0).int())
    print("ordinary dropout mask per step:")
    print((plain > 0).int())
    print(f"same mask at every step: locked {locked_same}, ordinary {plain_same}")
    stack = rnnkit.nn.LSTM(F, F, num_layers=2, dropout=0.5, variational_dropout=True)
    print(f"in a stack: {stack}")
    return {"locked_same_every_step": locked_same, "plain_same_every_step": plain_same}


def layer_norm_keys(H_in: int, H: int) -> dict:
    plain = rnnkit.nn.LSTM(H_in, H)
    normed = rnnkit.nn.LSTM(H_in, H, layer_norm=True)
    torch_keys = list(torch.nn.LSTM(H_in, H).state_dict())
    plain_keys, normed_keys = list(plain.state_dict()), list(normed.state_dict())
    extra = [k for k in normed_keys if k not in plain_keys]
    print(f"LSTM keys:                  {plain_keys}")
    print(f"torch.nn.LSTM keys:         {torch_keys}")
    print(f"layer_norm=True adds:       {extra}")
    missing = normed.load_state_dict(torch.nn.LSTM(H_in, H).state_dict(), strict=False)
    print(f"torch.nn.LSTM -> layer-norm LSTM, keys left at their start: {missing.missing_keys}")
    print(f"layer-norm LSTM runs on the {normed.active_backend!r} backend")
    return {"plain_keys": plain_keys, "torch_keys": torch_keys, "layer_norm_keys": extra}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-size", type=int, default=4, help="H_in")
    parser.add_argument("--hidden", type=int, default=6, help="H")
    parser.add_argument("--length", type=int, default=5, help="L")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    H_in, H, L = args.input_size, args.hidden, args.length

    print("--- dropout between layers ---")
    result = between_layers_only(H_in, H, L)
    print("--- train() and eval() ---")
    result |= eval_is_deterministic(H_in, H, L)
    print("--- variational dropout ---")
    result |= variational_mask(H, L)
    print("--- layer norm ---")
    result |= layer_norm_keys(H_in, H)
    return result


if __name__ == "__main__":
    main()
