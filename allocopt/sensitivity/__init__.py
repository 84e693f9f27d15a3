"""Sensitivity: what one more GPU is worth, what moves the answer, and how sure we are.

- `duals`: shadow prices and reduced costs from the LP with the funding fixed;
- `sweep`: re-solves over a grid of parameter values, with the breakpoints where the
  funded set changes;
- `ranging`: per project, the score at which its funding flips;
- `montecarlo`: uncertain supply, demand and budget; funding probabilities, the
  distribution of total value, Sobol' indices;
- `params`: numbers of an instance addressed by a path (`supply.H200`, `budget.capex`,
  `projects.<id>.score` …) and instances rebuilt with them changed;
- `executor`: scenarios on local processes (default) or a Dask cluster, same results;
- `output`, `plots`: the CSV files, sensitivity.json and the PNG/SVG charts.
"""

from allocopt.sensitivity.executor import Executor, ExecutorError
from allocopt.sensitivity.params import Change, ParameterError
from allocopt.sensitivity.scenario import Settings

__all__ = ["Change", "Executor", "ExecutorError", "ParameterError", "Settings"]
