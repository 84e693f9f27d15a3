"""Decomposition (allocopt.solving.decompose.decompose): parts that cover the instance,
shares that never exceed the whole, a verified union bounded by the LP relaxation, the
same answer on one process or two, and the `solve --decompose K` option."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from allocopt import from_spec
from allocopt.backends import SolveOptions
from allocopt.backends.glop import lp_relaxation_bound
from allocopt.instance.generator import generate
from allocopt.model import build_program
from allocopt.solving.decompose.decompose import (
    DecompositionError,
    lp_relaxation,
    partition,
    solve_decomposed,
)
from allocopt.solving.decompose.split import (
    monotone_shares,
    split_amount,
    split_instance,
    split_units,
)
from allocopt_cli.main import cli

from conftest import make, project

PARTS = 4
OPTIONS = SolveOptions(time_limit_s=20, gap=1e-4)


def _linked_spec():
    """A generated national instance (200 projects, its own exclusions) with a few
    dependency chains added, so that linked groups span several areas."""
    spec = generate(projects=200, gpus=2000, types=4, sites=2, periods=6, seed=0)
    projects = list(spec.projects)
    for after, before in ((10, 3), (11, 10), (50, 120), (77, 78), (150, 199)):
        projects[after] = projects[after].model_copy(
            update={"depends_on": (projects[before].id,)})
    return spec.model_copy(update={"projects": tuple(projects)})


@pytest.fixture(scope="module")
def instance():
    return from_spec(_linked_spec())


@pytest.fixture(scope="module")
def plain(instance):
    """Parts only (no repair), in this process."""
    return solve_decomposed(instance, PARTS, options=OPTIONS, workers=1, polish_time_s=0)


@pytest.fixture(scope="module")
def polished(instance):
    return solve_decomposed(instance, PARTS, options=OPTIONS, workers=1, polish_time_s=2)


def _links(instance) -> list[tuple[int, int]]:
    index = instance.project_index
    return [(i, index[other]) for i, p in enumerate(instance.projects)
            for other in (*p.depends_on, *p.excludes)]


def test_parts_are_disjoint_cover_every_project_and_keep_links_together(instance):
    groups = partition(instance, PARTS)
    assert len(groups) == PARTS
    everyone = [i for g in groups for i in g]
    assert sorted(everyone) == list(range(len(instance.projects)))
    part_of = {i: k for k, g in enumerate(groups) for i in g}
    links = _links(instance)
    assert len(links) >= 5
    assert all(part_of[a] == part_of[b] for a, b in links)
    sizes = [len(g) for g in groups]
    assert max(sizes) - min(sizes) <= 4  # round-robin: the largest linked group is 3
    for k, g in enumerate(groups):  # every part holds most areas
        assert len({instance.projects[i].area for i in g}) >= 6, k
    assert partition(instance, PARTS) == groups  # deterministic


def test_more_parts_than_linked_groups_gives_fewer_parts():
    inst = make([project("a"), project("b", depends_on=["a"]), project("c")])
    groups = partition(inst, 5)
    assert sorted(map(sorted, groups)) == [[0, 1], [2]]


def test_integer_and_real_splits_never_exceed_the_whole():
    assert split_units(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    assert split_units(10, np.zeros(3)).sum() == 10  # no weights: equal shares
    assert split_units(20, np.array([3.0, 1.0]), unit=8).tolist() == [16, 0]
    shares = split_amount(1.0, np.array([1.0, 1.0, 1.0]))
    assert shares.sum() <= 1.0 and shares.sum() > 0.999


def test_monotone_shares_never_fall_and_never_exceed_the_stock():
    stock = np.array([10, 10, 30, 30, 50, 50.0])
    usage = np.array([[5, 5, 10, 10, 0, 0], [5, 5, 20, 20, 40, 50], [0, 0, 0, 0, 10, 0.0]])
    for unit in (1, 8):
        shares = monotone_shares(stock, usage, unit)
        assert (np.diff(shares, axis=1) >= 0).all()
        assert (shares.sum(axis=0) <= stock).all()
        assert (shares % unit == 0).all()
    assert monotone_shares(stock, usage).sum(axis=0).tolist() == stock.tolist()


def test_part_shares_sum_to_at_most_the_whole(instance):
    program = build_program(instance)
    _, _, values, _ = lp_relaxation(program)
    parts, handed = split_instance(instance, partition(instance, PARTS), program, values)
    spec = instance.spec
    supply = sum(p.instance.supply_cumulative for p in parts)
    assert (supply <= instance.supply_cumulative + 1e-9).all()
    for s, site in enumerate(spec.sites):
        assert sum(p.instance.spec.sites[s].power_mw for p in parts) <= site.power_mw
    for line in ("capex", "opex", "total"):
        whole = getattr(spec.policy.budget, line)
        if whole is not None:
            assert sum(getattr(p.instance.spec.policy.budget, line) for p in parts) <= whole
    for o, option in enumerate(spec.procurement):
        assert sum(p.instance.spec.procurement[o].max_units for p in parts) <= option.max_units
    assert handed["gpu_periods"] > 0.99  # deliveries that accumulate lose little here


def test_the_union_is_verified_and_bounded_by_the_lp_relaxation(instance, plain, polished):
    lp = lp_relaxation_bound(build_program(instance))
    for solution in (plain, polished):
        assert solution.verify(instance) == []
        assert solution.bound == pytest.approx(lp, rel=1e-7)
        assert solution.lp_bound == solution.bound
        assert solution.objective <= solution.bound * (1 + 1e-9)
        assert solution.gap == pytest.approx(
            (solution.bound - solution.objective) / solution.objective, rel=1e-9)
        assert solution.status.value == ("optimal" if solution.gap <= OPTIONS.gap
                                         else "feasible")
    figures = polished.figures["decomposition"]
    assert figures["parts"] == PARTS
    assert sum(p["projects"] for p in figures["part_results"]) == len(instance.projects)
    assert figures["combined_objective"] == pytest.approx(plain.objective, rel=1e-9)
    assert polished.objective >= plain.objective - 1e-6  # the repair never loses value
    json.dumps(figures)  # summary.json carries it


def test_two_processes_give_the_same_answer_as_one(instance, plain):
    parallel = solve_decomposed(instance, PARTS, options=OPTIONS, workers=2, polish_time_s=0)
    assert parallel.figures["decomposition"]["workers"] == 2
    assert parallel.awards == plain.awards
    assert parallel.purchases == plain.purchases
    assert parallel.objective == plain.objective


def test_a_part_that_cannot_serve_its_mandatory_project_is_named():
    # One stock of 10 H from T1; `early` (optional) holds it in T1-T2, mandatory `late`
    # in T3. Together they fit, but a part's stock cannot fall: `early`'s part keeps it.
    inst = make([project("early", window={"earliest_start": "T1", "latest_end": "T2",
                                          "duration": 2}, score=5.0),
                 project("late", area="justice", mandatory=True,
                         window={"earliest_start": "T3", "latest_end": "T3"})],
                periods=["T1", "T2", "T3"])
    with pytest.raises(DecompositionError, match=r"part \d of 2 \(1 projects\) is infeasible"):
        solve_decomposed(inst, 2, workers=1)


def test_other_policies_are_refused(instance):
    with pytest.raises(DecompositionError, match="weighted"):
        solve_decomposed(instance.with_objective("maxmin"), 2, workers=1)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_writes_a_verified_results_folder(tmp_path: Path):
    path = tmp_path / "national.yaml"
    path.write_text(yaml.safe_dump(_linked_spec().model_dump(mode="json",
                                                             exclude_defaults=True)))
    out = tmp_path / "r"
    result = run("solve", path, "--decompose", 2, "--time-limit", 1, "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["options"]["decompose"] == 2
    assert summary["decomposition"]["parts"] == 2
    assert summary["bound"] == summary["lp_bound"]
    assert run("verify", path, out).exit_code == 0
    assert run("solve", path, "--decompose", 1, "--out", tmp_path / "x").exit_code == 2
    refused = run("solve", path, "--decompose", 2, "--policy", "maxmin",
                  "--out", tmp_path / "y")
    assert refused.exit_code == 2 and "weighted" in refused.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
