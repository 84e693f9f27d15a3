"""Starting allocations handed to a solver as a hint: an earlier solution
(`warmstart.py`), the LP relaxation rounded and repaired (`rounding.py`), the LP's core
solved as a small MILP (`core.py`)."""
