"""Seeded 2-D synthetic data sets, and the command that writes them to data/*.csv.

    python -m experiments.synthetic            # from the repository root

Moons, circles and blobs come from scikit-learn's generators; xor and spirals, which
scikit-learn lacks, are drawn here from a numpy Generator. The same seed gives the same files.
"""

import argparse
import logging
from pathlib import Path

import numpy as np
from sklearn import datasets as sklearn_datasets

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
N_SAMPLES = 500
SEED = 0


def make_moons(n_samples, seed):
    return sklearn_datasets.make_moons(n_samples=n_samples, noise=0.2, random_state=seed)


def make_circles(n_samples, seed):
    return sklearn_datasets.make_circles(n_samples=n_samples, noise=0.1, factor=0.5,
                                         random_state=seed)


def make_blobs(n_samples, seed):
    # Three overlapping classes, so the 2-D sets include a multi-class one.
    return sklearn_datasets.make_blobs(n_samples=n_samples, centers=[(-2, 0), (2, 0), (0, 3)],
                                       cluster_std=1.0, random_state=seed)


def make_xor(n_samples, seed):
    """Points uniform in [-1, 1]^2, labelled 1 where the signs of x1 and x2 differ."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    labels = (np.sign(points[:, 0]) != np.sign(points[:, 1])).astype(np.int64)
    return points + rng.normal(0.0, 0.05, size=points.shape), labels


def make_spirals(n_samples, seed):
    """Two interleaved spirals of 1.5 turns each, one per class, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_samples) % 2
    turn = rng.uniform(0.0, 1.0, size=n_samples)
    angle = 3 * np.pi * turn + np.pi * labels
    radius = 0.2 + turn
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points + rng.normal(0.0, 0.04, size=points.shape), labels.astype(np.int64)


GENERATORS = {
    "moons": make_moons,
    "circles": make_circles,
    "xor": make_xor,
    "spirals": make_spirals,
    "blobs": make_blobs,
}


def write_csv(path, points, labels):
    """Write columns x1, x2, label with 6 decimals, which keeps each file near 10 kB."""
    table = np.column_stack([points, labels])
    np.savetxt(path, table, fmt=["%.6f", "%.6f", "%d"], delimiter=",",
               header="x1,x2,label", comments="")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the 2-D synthetic data sets as CSV.")
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    parser.add_argument("--n-samples", type=int, default=N_SAMPLES, help="points per set")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of every generator")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, generate in GENERATORS.items():
        points, labels = generate(args.n_samples, args.seed)
        path = args.out / f"{name}.csv"
        write_csv(path, points, labels)
        log.info("wrote %s (%d points, %d classes)", path, len(labels), len(np.unique(labels)))


if __name__ == "__main__":
    main()
