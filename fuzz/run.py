"""Run one fuzz target under atheris (coverage-guided), growing its corpus in fuzz/corpus/TARGET.

    .venv/bin/python fuzz/run.py TARGET [libFuzzer options, e.g. -max_total_time=60]

`make fuzz` runs every target for FUZZ_SECONDS each. A crash writes the input to
fuzz/crashes/TARGET-…; add it to the corpus once fixed, so the test suite replays it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main():
    name, options = sys.argv[1], sys.argv[2:]
    corpus = HERE / "corpus" / name
    crashes = HERE / "crashes"
    crashes.mkdir(exist_ok=True)
    # The targets import ndg's modules when first called: replaying the corpus inside this block
    # imports them instrumented, so the fuzzer sees which branches each input takes.
    with atheris.instrument_imports(include=["ndg"]):
        import targets

        targets.replay(name)
    target = targets.TARGETS[name]
    atheris.Setup([sys.argv[0], f"-artifact_prefix={crashes}/{name}-", *options, str(corpus)], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
