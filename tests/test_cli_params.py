"""The CLI's boundary: parameter types for backends and policies, and the one map from
allocopt's errors to messages and exit codes that every command shares."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from allocopt.backends import REGISTRY
from allocopt.errors import BackendError, InstanceError, Problem, ResultsError
from allocopt.sensitivity.duals import DualsError
from allocopt.sensitivity.executor import ExecutorError
from allocopt.sensitivity.params import ParameterError
from allocopt.solving.decompose.decompose import DecompositionError
from allocopt.solving.pipeline import VerificationError
from allocopt_cli.common import (
    BACKEND,
    EXIT_BAD_INPUT,
    EXIT_NO_SOLUTION,
    EXIT_VIOLATED,
    POLICIES,
    POLICY,
    Failure,
    as_failure,
    domain_errors,
)
from allocopt_cli.main import cli

from conftest import DATA

TINY = str(DATA / "tiny.yaml")
TUTORIAL = str(DATA.parent.parent / "instances" / "tutorial.yaml")
OUT = object()  # where a test's output folder goes


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("args", [
    ["solve", TINY, "--backend", "gurobi"],
    ["diagnose", TINY, "--backend", "gurobi"],
    ["sensitivity", "shadow-prices", TUTORIAL, "--out", OUT, "--backend", "gurobi"],
    ["sensitivity", "sweep", TUTORIAL, "--out", OUT, "--param", "budget.opex", "--range",
     "1..2", "--backend", "gurobi"],
    ["sensitivity", "ranging", TUTORIAL, "--out", OUT, "--backend", "gurobi"],
    ["sensitivity", "montecarlo", TUTORIAL, "--out", OUT, "--backend", "gurobi"],
])
def test_an_unknown_backend_is_bad_input_naming_the_known_ones(args, tmp_path):
    out = tmp_path / "x"
    result = run(*(out if a is OUT else a for a in args))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "Invalid value for --backend: choose from " in result.output
    assert f"choose from {', '.join(REGISTRY)}, auto" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_unknown_policy_is_bad_input_naming_the_known_ones():
    result = run("solve", TINY, "--policy", "utilitarian")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "Invalid value for '--policy'" in result.output
    assert all(repr(p) in result.output for p in POLICIES)


def test_the_types_accept_every_known_name():
    assert BACKEND.convert("auto", None, None) == "auto"
    for name in REGISTRY:
        assert BACKEND.convert(name, None, None) == name
    for name in POLICIES:
        assert POLICY.convert(name, None, None) == name


def test_the_policy_names_are_the_schema_objectives():
    from allocopt.instance.schema import Objective

    assert set(POLICIES) == {o.value for o in Objective}


@pytest.mark.parametrize(("error", "code", "lines"), [
    (InstanceError([Problem("f.yaml", "projects[0].score", "must be ≥ 0"),
                    Problem("f.yaml", "", "second")]), EXIT_BAD_INPUT,
     ["f.yaml: projects[0].score: must be ≥ 0", "f.yaml: second"]),
    (ResultsError("r/summary.json: cannot read"), EXIT_BAD_INPUT,
     ["r/summary.json: cannot read"]),
    (BackendError("not installed"), EXIT_BAD_INPUT, ["backend cbc: not installed"]),
    (ParameterError("unknown parameter"), EXIT_BAD_INPUT, ["unknown parameter"]),
    (ExecutorError("no scheduler"), EXIT_BAD_INPUT, ["no scheduler"]),
    (VerificationError("capacity: H200\npower: north"), EXIT_VIOLATED,
     ["the solver's allocation breaks rules; nothing was written:", "capacity: H200",
      "power: north"]),
    (DecompositionError("part 1 has no allocation"), EXIT_NO_SOLUTION,
     ["part 1 has no allocation; nothing was written"]),
    (DualsError("the fixed LP is infeasible"), EXIT_NO_SOLUTION,
     ["the fixed LP is infeasible"]),
])
def test_each_error_class_gets_its_exit_code(error, code, lines):
    with pytest.raises(Failure) as caught, domain_errors(backend="cbc"):
        raise error
    assert caught.value.exit_code == code
    assert caught.value.lines == lines


def test_the_mapper_prefixes_input_errors_and_names_the_allocation():
    failure = as_failure(InstanceError([Problem("", "", "no scenarios")]),
                         prefix="--policy robust")
    assert failure.lines == ["--policy robust: no scenarios"]
    failure = as_failure(DecompositionError("boom"), prefix="f.yaml: --decompose 2")
    assert failure.lines == ["f.yaml: --decompose 2: boom; nothing was written"]
    failure = as_failure(VerificationError("x"), allocation="a solver's allocation")
    assert failure.lines[0] == "a solver's allocation breaks rules; nothing was written:"


def test_other_errors_and_failures_pass_through():
    assert as_failure(KeyError("bug")) is None
    with pytest.raises(KeyError), domain_errors():
        raise KeyError("bug")
    already = Failure(["said"], 3)
    with pytest.raises(Failure) as caught, domain_errors():
        raise already
    assert caught.value is already
