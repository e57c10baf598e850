"""The fuzz corpora (fuzz/corpus/TARGET, grown by `make fuzz`) replayed through their targets:
every input that once reached new code, or once broke something, is run again on every test run."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))
import targets


@pytest.mark.parametrize("target", sorted(targets.TARGETS))
def test_every_corpus_input_gives_a_result_or_a_user_error(target):
    files = targets.corpus_files(target)
    assert files, f"fuzz/corpus/{target} is empty"
    for path in files:
        try:
            targets.TARGETS[target](path.read_bytes())
        except Exception as error:
            raise AssertionError(f"fuzz/corpus/{target}/{path.name}: {type(error).__name__}: {error}") from error
