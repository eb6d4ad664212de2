"""``Dropout``."""

from mytorch.nn import functional as F  # noqa: N812 - torch's usual alias
from mytorch.nn.modules.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode and scale the rest by 1/(1-p).

    In evaluation mode (after ``eval()``) the input passes unchanged, so the expected output is
    the same in both modes. Masks come from the default generator (see ``F.dropout``).
    ``inplace=True`` is accepted but the output is always a new tensor.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):  # noqa: A002 - torch's argument name
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
