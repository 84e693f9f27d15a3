"""The model as MPS or LP text, with readable column and row names, for any solver."""

from __future__ import annotations

import re

from allocopt.instance import Instance
from allocopt.model import Program, VarKind, build_program

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _safe(*parts: object) -> str:
    return _UNSAFE.sub("_", "_".join(str(p) for p in parts))


def column_names(instance: Instance, program: Program) -> list[str]:
    """assign_P1_cfg_site_period, start_..., size_..._type, buy_option_site_period."""
    c = program.columns
    spec = instance.spec
    names = []
    for j in range(len(c)):
        site, period = spec.sites[c.site[j]].id, instance.periods[c.start[j]]
        kind = VarKind(c.kind[j])
        if kind is VarKind.BUY:
            o = spec.procurement[c.option[j]]
            names.append(_safe("buy", o.id or f"{o.type}{c.option[j]}", site, period))
            continue
        project = spec.projects[c.project[j]]
        if kind is VarKind.ASSIGN:
            config = project.request.configurations[c.config[j]].id
            names.append(_safe("assign", project.id, config, site, period))
        elif kind is VarKind.START:
            names.append(_safe("start", project.id, site, period))
        else:
            names.append(_safe("size", project.id, site, period, spec.gpu_types[c.gpu_type[j]].id))
    return names


def export_model(instance: Instance, fmt: str) -> str:
    """MPS (`fmt="mps"`) or LP (`fmt="lp"`) text of the instance's model."""
    from allocopt.backends.scip import to_model_builder

    program = build_program(instance)
    helper = to_model_builder(program)
    for j, name in enumerate(column_names(instance, program)):
        helper.set_var_name(j, name)
    for i, (rule, key) in enumerate(program.row_labels()):
        helper.set_constraint_name(i, _safe(rule.value, *key) if key else rule.value)
    helper.set_name(_safe(instance.name))
    if fmt == "mps":
        return helper.export_to_mps_string()
    if fmt == "lp":
        return helper.export_to_lp_string()
    raise ValueError(f"unknown format {fmt!r}; use 'mps' or 'lp'")
