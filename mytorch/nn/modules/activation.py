"""Element-wise activations and the softmax layers.

``inplace=True`` is accepted for compatibility and printed as torch prints it, but the output is
always a new tensor, because mytorch records no in-place operations.
"""

from mytorch.nn import functional as F  # noqa: N812 - torch's usual alias
from mytorch.nn.modules.module import Module


class Sigmoid(Module):
    """Apply ``1 / (1 + exp(-x))`` element-wise."""

    def forward(self, input):  # noqa: A002 - torch's argument name
        return F.sigmoid(input)


class Tanh(Module):
    """Apply the hyperbolic tangent element-wise."""

    def forward(self, input):  # noqa: A002
        return F.tanh(input)


class ReLU(Module):
    """Apply ``max(x, 0)`` element-wise."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Apply ``x`` where ``x > 0`` and ``negative_slope·x`` elsewhere (default slope 0.01)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


class GELU(Module):
    """Apply ``x·Φ(x)``; ``approximate="tanh"`` uses ``0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))``."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """Apply ``log(1 + exp(β·x)) / β`` element-wise, or ``x`` where ``β·x > threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Apply softmax along ``dim``, so the values along it are positive and sum to 1."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Apply ``log(softmax(x))`` along ``dim``, computed without forming the softmax."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
