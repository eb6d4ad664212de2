"""``Linear`` and ``Identity``."""

import math

from mytorch import _dtype
from mytorch._creation import empty
from mytorch._ops import linalg
from mytorch.nn import init
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter


class Identity(Module):
    """Return the input unchanged; any constructor arguments are accepted and ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):  # noqa: A002 - torch's argument name
        return input


class Linear(Module):
    """Apply the affine map ``y = x Wᵀ + b``.

    Args:
        in_features: size of the last dimension of the input.
        out_features: size of the last dimension of the output.
        bias: whether to learn the additive bias ``b``. Default: True.
        dtype: dtype of the parameters; the default dtype (float32 unless changed) if None.

    Shapes: input (*, in_features), output (*, out_features).

    Attributes:
        weight: shape (out_features, in_features), drawn from U(-k, k) with ``k = 1/√in_features``.
        bias: shape (out_features,), drawn from U(-k, k) after the weight.

    Both draws come from the default generator, so ``mytorch.manual_seed`` fixes them; the values
    differ from torch's for the same seed.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw the weight, then the bias, from U(-1/√in_features, 1/√in_features)."""
        # kaiming_uniform_ with a=√5 has gain √(1/3), so its bound √3·gain/√fan_in is 1/√fan_in.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002
        # The dictionary self.weight reads, without a Module.__getattr__ call per read.
        parameters = self._parameters
        return linalg.linear(input, parameters["weight"], parameters["bias"])

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
