"""Random number generators.

Every random draw in mytorch (``randn``, ``rand``, weight init, dropout, shuffling) takes an
optional ``generator=`` and otherwise uses the one default generator, so ``mytorch.manual_seed(s)``
makes a whole program reproducible bit for bit. The streams are numpy's PCG64, so they differ from
torch's Mersenne Twister: the same seed gives other numbers than in torch, with the same guarantees.
"""

import numpy as np


class Generator:
    """An independent random stream, seeded with ``manual_seed``, like ``torch.Generator``."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(67280421310721)  # torch's default seed value

    def manual_seed(self, seed):
        """Reset the stream to the start of the sequence for ``seed`` and return the generator."""
        seed = int(seed)
        self._seed = seed
        # NOTE: a negative seed is folded to 64 bits, as torch does.
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFF_FFFF_FFFF_FFFF))
        return self

    def initial_seed(self):
        """Return the seed the stream was last reset with."""
        return self._seed

    def seed(self):
        """Reseed from the operating system's entropy and return the new seed."""
        new_seed = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(new_seed)
        return new_seed

    def get_state(self):
        """Return the stream's state as a dict that ``set_state`` accepts."""
        return {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}

    def set_state(self, state):
        """Restore a state returned by ``get_state``, so the stream continues from there."""
        self._seed = state["seed"]
        self._rng.bit_generator.state = state["bit_generator"]
        return self

    @property
    def numpy(self):
        """The ``numpy.random.Generator`` that produces this stream's numbers."""
        return self._rng


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator, which every draw without ``generator=`` uses."""
    return default_generator.manual_seed(seed)


def seed():
    """Reseed the default generator from the operating system and return the seed."""
    return default_generator.seed()


def initial_seed():
    """Return the seed the default generator was last reset with."""
    return default_generator.initial_seed()


def get_rng_state():
    """Return the default generator's state."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default generator's state from ``get_rng_state``."""
    default_generator.set_state(state)


def numpy_rng(generator=None):
    """Return the numpy generator behind ``generator``, or behind the default one."""
    return (generator or default_generator).numpy
