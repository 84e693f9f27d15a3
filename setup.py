"""Package discovery, so that a new subpackage can never be left out of a plain install:
every package under allocopt/, and the command-line front end in cli/ as allocopt_cli
(the mapping in pyproject.toml's package-dir). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

cli_packages = ["allocopt_cli" + name.removeprefix("cli")
                for name in find_packages(include=["cli", "cli.*"])]
setup(packages=find_packages(include=["allocopt", "allocopt.*"]) + cli_packages)
