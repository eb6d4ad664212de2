"""``Flatten``."""

from mytorch.nn.modules.module import Module


class Flatten(Module):
    """Merge dimensions ``start_dim`` to ``end_dim`` into one: (N, 3, 4) becomes (N, 12).

    The defaults keep dimension 0, the batch.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):  # noqa: A002 - torch's argument name
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
