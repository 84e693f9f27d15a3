"""The formulation: columns, rule families and the assembled `Program`; `decode` reads
a solved program's column values back into a Solution."""

from allocopt.model.build import build_program
from allocopt.model.program import Program, Rule, VarKind

__all__ = ["Program", "Rule", "VarKind", "build_program"]
