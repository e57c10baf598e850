"""The kept hypothesis examples (tests/hypothesis-corpus, see conftest.py) are replayed, first, by
every run of the tests they belong to. Kept under a digest of their test's source, they would
silently stop replaying when that test changes: every folder must still belong to a test here.
And a kept example does catch its regression again when it comes back."""

import importlib
from hashlib import sha384

import pytest
from conftest import HYPOTHESIS_CORPUS, ROOT
from hypothesis import Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ReadOnlyDatabase
from hypothesis.internal.reflection import function_digest

from ndg.runtime import validate


def _folder(test) -> str:
    """Where hypothesis's directory database keeps a test's examples (its key: the test's digest)."""
    return sha384(function_digest(test.hypothesis.inner_test)).hexdigest()[:16]


def _property_tests() -> dict[str, str]:
    """Every hypothesis test of the suite by its example folder."""
    tests = {}
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        if "@given" not in path.read_text():
            continue
        module = importlib.import_module(path.stem)
        for name, test in vars(module).items():
            if callable(test) and hasattr(test, "hypothesis"):
                tests[_folder(test)] = f"{path.stem}::{name}"
    return tests


def test_every_kept_example_belongs_to_a_test_of_the_suite():
    kept = sorted(p.name for p in HYPOTHESIS_CORPUS.iterdir() if p.is_dir())
    assert kept, "tests/hypothesis-corpus keeps no examples"
    tests = _property_tests()
    stale = [folder for folder in kept if folder not in tests]
    assert not stale, (f"{stale} in tests/hypothesis-corpus belong to no test any more (a test changed): find the "
                       "failures again with the regression back, and keep them with `make keep-examples`")


@pytest.mark.toolchain
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # the module bytes' long repr
def test_a_kept_example_fails_again_when_its_regression_comes_back(monkeypatch):
    """Kept while hardening: a plan field changed to 2**63 reached numpy unbounded and escaped as an
    OverflowError. With that bound lifted again, replaying the corpus alone (no generation) fails."""
    from test_untrusted_plans import original
    from test_untrusted_plans import test_mutated_plans_are_refused_cleanly_or_run_correctly as test

    monkeypatch.setattr(validate, "INT_BOUND", 2**80)
    replay_only = settings(test._hypothesis_internal_use_settings, phases=[Phase.reuse],
                           database=ReadOnlyDatabase(DirectoryBasedExampleDatabase(HYPOTHESIS_CORPUS)))
    monkeypatch.setattr(test, "_hypothesis_internal_use_settings", replay_only)
    with pytest.raises(OverflowError):
        test(original=original.__wrapped__())
    monkeypatch.undo()
    test(original=original.__wrapped__())  # and with the bound, the kept example passes
