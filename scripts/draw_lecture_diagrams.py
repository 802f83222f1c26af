"""Draw the lecture pages' diagrams into docs/lectures/img/ (PNG, matplotlib).

    .venv/bin/python scripts/draw_lecture_diagrams.py            # all of them
    .venv/bin/python scripts/draw_lecture_diagrams.py --out /tmp/img

- lstm-cell.png: the LSTM cell, its four gates, and the cell state's additive path.
- gru-cell.png: the GRU cell in torch's (and rnnkit's) convention, h' = (1 - z) n + z h.
- vanishing-gradients.png: ||dL/dx_t|| over the steps back, RNN vs LSTM, measured by
  examples/vanishing_gradients.py.

Labels are in English and ASCII so that they draw with matplotlib's default font; the
pages explain them in Korean.
"""

import argparse
import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DPI = 90


def box(ax, x, y, text, color, w=1.1, h=0.5):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05",
                                fc=color, ec="black", lw=1))  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def op(ax, x, y, symbol):
    ax.add_patch(plt.Circle((x, y), 0.22, fc="white", ec="black", lw=1))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11)


def arrow(ax, start, end, color="black", lw=1.2, style="-|>"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=10,
                                 color=color, lw=lw, shrinkA=0, shrinkB=0))  # fmt: skip


def frame(title, width=10.0, height=5.2):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5.2)
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    return fig, ax


def draw_lstm(path: Path) -> None:
    fig, ax = frame("LSTM cell: c' = f * c + i * g,  h' = o * tanh(c')")
    # the cell state's straight, additive path along the top
    arrow(ax, (0.3, 4.3), (9.7, 4.3), color="tab:red", lw=2.5)
    ax.text(0.3, 4.55, "c (cell state)", color="tab:red", fontsize=10)
    ax.text(9.7, 4.55, "c'", color="tab:red", fontsize=10, ha="right")
    op(ax, 2.6, 4.3, "x")
    op(ax, 5.0, 4.3, "+")
    # gates
    inputs_y = 0.6
    ax.text(0.3, inputs_y, "[h, x]  (previous state, input)", fontsize=10)
    arrow(ax, (0.3, 0.9), (8.7, 0.9))
    for x, name, fn, color in ((2.6, "f", "sigmoid", "#f4cccc"), (3.8, "i", "sigmoid", "#d9ead3"),
                               (5.2, "g", "tanh", "#cfe2f3"), (7.0, "o", "sigmoid", "#fff2cc")):  # fmt: skip
        box(ax, x, 2.0, f"{name}: {fn}", color)
        arrow(ax, (x, 0.9), (x, 1.75))
    arrow(ax, (2.6, 2.25), (2.6, 4.08))  # f -> x on the cell path
    op(ax, 4.5, 3.2, "x")  # i * g
    arrow(ax, (3.8, 2.25), (4.38, 3.02))
    arrow(ax, (5.2, 2.25), (4.62, 3.02))
    arrow(ax, (4.5, 3.42), (4.9, 4.1))
    box(ax, 7.9, 3.4, "tanh", "#eeeeee", w=0.8, h=0.4)
    arrow(ax, (7.9, 4.3), (7.9, 3.6))
    op(ax, 7.9, 2.6, "x")  # o * tanh(c')
    arrow(ax, (7.9, 3.2), (7.9, 2.82))
    arrow(ax, (7.25, 2.2), (7.7, 2.5))
    arrow(ax, (8.12, 2.6), (9.7, 2.6))
    ax.text(9.7, 2.75, "h'", fontsize=10, ha="right")
    ax.text(5.3, 3.45, "additive path:\ndc'/dc = f\n(no W, no tanh')",
            fontsize=9, color="tab:red")  # fmt: skip
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def draw_gru(path: Path) -> None:
    fig, ax = frame("GRU cell (torch, rnnkit): h' = (1 - z) * n + z * h;  z = 1 copies h")
    arrow(ax, (0.3, 4.3), (9.7, 4.3), color="tab:blue", lw=2.5)
    ax.text(0.3, 4.55, "h (previous state)", color="tab:blue", fontsize=10)
    ax.text(9.7, 4.55, "h'", color="tab:blue", fontsize=10, ha="right")
    ax.text(0.3, 0.6, "[h, x]", fontsize=10)
    arrow(ax, (0.3, 0.9), (7.0, 0.9))
    box(ax, 2.0, 2.0, "r: sigmoid", "#f4cccc")
    box(ax, 4.0, 2.0, "z: sigmoid", "#d9ead3")
    box(ax, 6.2, 2.0, "n: tanh\n(W x + r * (U h))", "#cfe2f3", w=1.6, h=0.7)
    for x in (2.0, 4.0, 6.2):
        arrow(ax, (x, 0.9), (x, 1.65 if x == 6.2 else 1.75))
    ax.plot([2.0, 2.0, 5.6], [2.25, 2.75, 2.75], color="black", lw=1.2)  # r feeds n
    arrow(ax, (5.6, 2.75), (5.8, 2.37))
    ax.text(3.0, 2.85, "r", fontsize=10)
    op(ax, 4.0, 4.3, "x")
    arrow(ax, (4.0, 2.25), (4.0, 4.08))
    ax.text(4.15, 3.3, "z", fontsize=10)
    op(ax, 6.2, 3.3, "x")
    arrow(ax, (6.2, 2.35), (6.2, 3.08))
    ax.text(6.35, 2.7, "1 - z", fontsize=10)
    op(ax, 7.4, 4.3, "+")
    arrow(ax, (6.4, 3.4), (7.25, 4.12))
    ax.text(0.3, 3.3, "note 002 writes h' = z * n + (1 - z) * h:\nits z = 0 is this z = 1",
            fontsize=9, color="tab:gray")  # fmt: skip
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def draw_gradients(path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "vanishing_gradients", ROOT / "examples" / "vanishing_gradients.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    length = 60
    norms = module.main(["--length", str(length)])["norms"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in norms.items():
        back = list(range(length))
        ax.semilogy(back, [values[length - 1 - k] for k in back], label=name)
    ax.set_xlabel("steps back from the last step (k)")
    ax.set_ylabel("||dL/dx_(T-k)||")
    ax.set_title("Gradient of the last step's loss, per input step (H = 32)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "lectures" / "img"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    draw_lstm(out / "lstm-cell.png")
    draw_gru(out / "gru-cell.png")
    draw_gradients(out / "vanishing-gradients.png")
    for path in sorted(out.glob("*.png")):
        print(f"{path} {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
