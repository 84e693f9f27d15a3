"""The solve path: the pipeline (`pipeline.py`: build once, choose the backend once, run
the policy through one table of runners, verify), starting allocations (`starts/`) and
decomposition into parts solved in parallel (`decompose/`).

Named `solving`, not `solve`: `allocopt.solve` is the library's solve function, and a
subpackage of that name would replace it as an attribute of `allocopt` once imported.
Nothing is imported here, so that importing a submodule pays only for what it uses.
"""
