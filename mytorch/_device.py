"""``mytorch.device``: mytorch computes on the CPU only. This exists for scripts that name one."""


class device:  # noqa: N801 - torch's name
    """A compute device; only ``"cpu"`` exists."""

    def __init__(self, type="cpu", index=None):  # noqa: A002 - torch's argument name
        name = str(type.type if isinstance(type, device) else type)
        if name.split(":")[0] != "cpu":
            raise RuntimeError(f"device {name!r} is not available: mytorch runs on the CPU only; "
                               "use 'cpu'")
        self.type = "cpu"
        self.index = index

    def __eq__(self, other):
        return isinstance(other, (device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self):
        return hash("cpu")

    def __str__(self):
        return "cpu"

    def __repr__(self):
        return "device(type='cpu')"
