"""Utilities that sit beside the tensor core, as in ``torch.utils``."""

from mytorch.utils import data

__all__ = ["data"]
