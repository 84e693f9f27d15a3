"""Instances: the schema, the loaders and the checked `Instance`."""

from allocopt.instance.instance import Instance, from_spec, load_instance
from allocopt.instance.loaders import Limits
from allocopt.instance.schema import InstanceSpec

__all__ = ["Instance", "InstanceSpec", "Limits", "from_spec", "load_instance"]
