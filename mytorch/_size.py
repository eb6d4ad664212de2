"""``mytorch.Size``: the tuple that ``Tensor.shape`` and ``Tensor.size()`` return."""


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``mytorch.Size([2, 3])``."""

    __slots__ = ()

    def numel(self):
        """Return the number of elements a tensor of this shape holds."""
        count = 1
        for n in self:
            count *= n
        return count

    def __repr__(self):
        return f"mytorch.Size({list(self)})"
