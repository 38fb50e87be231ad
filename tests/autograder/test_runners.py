"""``calls.runners``: every registered Runner's facts agree with one another and with what its calls report, on
every case the catalogue plans (a missed or wrong fact would otherwise surface as a KeyError or a ``protocol``
status inside the sandbox)."""

import numpy as np
import pytest

from autograder import catalogue
from autograder.calls import runners, wire
from autograder.packages import load_reference

RUNNERS = sorted(runners.RUNNERS)


def cases_of(name):
    return [case for case in catalogue.build_plan(0).cases.values() if case.runner == name]


def test_every_runner_is_registered_under_its_own_name_and_every_planned_case_has_one():
    assert all(name == runner.name for name, runner in runners.RUNNERS.items())
    assert {case.runner for case in catalogue.build_plan(0).cases.values()} == set(runners.RUNNERS)


@pytest.mark.parametrize("name", RUNNERS)
def test_a_runners_outputs_inputs_and_records_are_consistent_with_one_another(name):
    runner = runners.RUNNERS[name]
    assert set(runner.own_outputs.values()) <= {"array", "bool"}
    # A read-only input reaches the call process through the shared region, where only observed inputs go.
    assert set(runner.read_only_inputs) <= set(runner.observed_inputs)
    reported = [*runner.own_outputs, *(["wrote_read_only"] if runner.read_only_inputs else [])]
    everything = reported + [*runner.observed_inputs, *runner.service_records]
    assert len(everything) == len(set(everything)), "an output would overwrite another"
    assert list(runner.outputs) == everything and list(runner.reported_outputs) == reported


@pytest.mark.parametrize("name", RUNNERS)
def test_the_reference_called_by_a_runner_reports_exactly_its_outputs_within_its_expected_size(name):
    runner, reference = runners.RUNNERS[name], load_reference()
    for case in cases_of(name):
        services = runners.loss_service(case.runner, case.args, case.declared.service_loss(reference))
        assert (services is not None) == bool(runner.service_records), case.key
        result = runners.run_call(case.call(), reference.target(case.module, case.target), services=services)
        assert "outputs" in result, (case.key, result)
        outputs = {**wire.decode(result["outputs"]), **(services.records() if services else {})}
        assert set(outputs) == set(runner.outputs), case.key
        for output, kind in runner.outputs.items():
            assert isinstance(outputs[output], bool if kind == "bool" else np.ndarray), (case.key, output)
        # What the call process sends is bounded by the expected size (the host allows some slack beyond it).
        sent = sum(np.size(outputs[output]) for output, kind in runner.reported_outputs.items() if kind == "array")
        assert sent <= runner.expected_entries(case.args), case.key


@pytest.mark.parametrize("level", ["{\"a\":", "["])
def test_data_nested_deeper_than_any_message_is_a_protocol_error_not_a_recursion_error(level):
    """Round 4: 600 dicts deep is JSON the host parses, but decode recursed twice a level and the host died of
    RecursionError (the sandbox restarted after every call). Every message has a few levels: more is refused."""
    import json

    closing = "}" if level.startswith("{") else "]"
    nested = json.loads(level * 600 + ("1" if level.startswith("{") else "") + closing * 600)
    with pytest.raises(wire.ProtocolError, match="nested more than"):
        wire.decode({"value": nested}, max_entries=10)
    assert wire.decode(wire.encode({"a": [{"b": [np.zeros(2)]}]}))["a"][0]["b"][0].shape == (2,)


def _nested(levels, innermost):
    value = innermost
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("innermost", [1, [], "array"], ids=["a number", "an empty list", "an encoded array"])
def test_the_host_and_the_decoder_draw_the_nesting_bound_at_the_same_level(innermost):
    """The host checks a service request's nesting before relaying it; the grader decodes it: one bound for both,
    an encoded array's dict one level and its shape list none."""
    leaf = wire.encode(np.arange(3.0)) if innermost == "array" else innermost
    containers_around = wire.MAX_NESTING - (1 if isinstance(leaf, (list, dict)) else 0)
    allowed, refused = _nested(containers_around, leaf), _nested(containers_around + 1, leaf)
    wire.check_nesting(allowed)
    wire.decode(allowed)
    for check in (wire.check_nesting, wire.decode):
        with pytest.raises(wire.ProtocolError, match="nested more than"):
            check(refused)
