"""Alternative correct implementations: any formulation that gives the same results gets full marks.

They are graded in the same batch as the cheating and faulty submissions
(test_corpus_cheats_and_faults.py), so they also show that a correct student keeps full marks
however the others in the batch behave.
"""

import pytest

from corpus.build import CONTROL_CASE, CORPUS_DIR, describe, load_cases, shared_record

ALTERNATIVES = load_cases(CORPUS_DIR, kinds=("alternative",))


@pytest.fixture(scope="module")
def batch(request, tmp_path_factory):
    return shared_record("corpus-mixed", request, tmp_path_factory)


def test_the_corpus_has_at_least_10_alternative_styles_besides_the_reference():
    assert len([case for case in ALTERNATIVES if case.id != CONTROL_CASE]) >= 10


@pytest.mark.parametrize("case", ALTERNATIVES, ids=lambda case: case.id)
def test_alternative_implementation_gets_full_marks(batch, case):
    rows = batch["grades"].get(case.id, [])
    assert rows, f"no grades for {case.id}"
    assert [describe(row) for row in rows if not 0 < row["score"] == row["max_score"]] == []
