"""The formulation: columns, rule families and the assembled `Program`."""

from allocopt.model.build import build_program
from allocopt.model.program import Program, Rule, VarKind

__all__ = ["Program", "Rule", "VarKind", "build_program"]
