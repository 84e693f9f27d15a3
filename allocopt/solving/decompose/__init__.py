"""Decomposition for the largest instances: the parts and their repair
(`decompose.py`), every shared resource split among the parts by the LP (`split.py`)."""
