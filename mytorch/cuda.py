"""Stand-in for ``torch.cuda`` so that device checks in torch scripts run: there is no GPU."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Accept a CUDA seed and do nothing, as torch does when no GPU is present."""


def manual_seed_all(seed):
    """Accept a CUDA seed and do nothing, as torch does when no GPU is present."""
