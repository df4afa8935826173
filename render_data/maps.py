"""2D maps of high-dimensional points, and measures of how much a map (or a set of points) says.

Plain numpy, so the fallback map works without umap-learn/scikit-learn. Used by chapters 04 (prompt
embeddings) and 11 (diffusion states).
"""

from __future__ import annotations

import numpy as np


class PCA2D:
    """The plane of the two directions of largest variance of the fitted points."""

    def __init__(self, points: np.ndarray):
        x = np.asarray(points, np.float64).reshape(len(points), -1)
        self.mean = x.mean(0)
        # Economy SVD of the centred points: rows of vt are the principal directions.
        _, s, vt = np.linalg.svd(x - self.mean, full_matrices=False)
        self.components = vt[:2]
        variance = s**2
        self.explained = variance[:2] / variance.sum()  # fraction of the total variance each axis shows

    def project(self, points: np.ndarray) -> np.ndarray:
        x = np.asarray(points, np.float64).reshape(len(points), -1)
        return (x - self.mean) @ self.components.T


def fit_unit_box(points: np.ndarray) -> tuple[np.ndarray, float]:
    """(centre, scale) that maps ``points`` into [-1, 1]^2 centred on the box's middle."""
    lo, hi = points.min(0), points.max(0)
    centre = (lo + hi) / 2
    return centre, float(np.abs(points - centre).max() or 1.0)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T


def nearest(similarity: np.ndarray, k: int) -> np.ndarray:
    """[N, k] indices of each row's k most similar columns, itself excluded (square similarity)."""
    s = np.array(similarity, np.float64)
    np.fill_diagonal(s, -np.inf)
    return np.argsort(-s, axis=1, kind="stable")[:, :k]


def knn_label_agreement(neighbours: np.ndarray, labels: np.ndarray) -> float:
    """Mean fraction of each point's neighbours that share its label."""
    labels = np.asarray(labels)
    return float((labels[neighbours] == labels[:, None]).mean())


def chance_agreement(labels: np.ndarray) -> float:
    """The agreement that neighbours picked at random would have: P(another point shares your label)."""
    _, counts = np.unique(labels, return_counts=True)
    n = counts.sum()
    return float((counts * (counts - 1)).sum() / (n * (n - 1)))


def silhouette(distance: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette (Rousseeuw 1987) of a labelling under a precomputed distance matrix: +1 tight and
    well separated clusters, 0 overlapping ones."""
    labels = np.asarray(labels)
    names = np.unique(labels)
    scores = []
    for i in range(len(labels)):
        same = labels == labels[i]
        same[i] = False
        if not same.any():
            scores.append(0.0)
            continue
        a = distance[i, same].mean()
        b = min(distance[i, labels == other].mean() for other in names if other != labels[i])
        scores.append((b - a) / max(a, b))
    return float(np.mean(scores))


def neighbour_overlap(high: np.ndarray, low: np.ndarray) -> float:
    """Fraction of each point's neighbours in the full space that are also its neighbours on the map
    (both [N, k] index arrays): 1 = the map keeps every neighbourhood."""
    k = high.shape[1]
    return float(np.mean([len(set(h) & set(lo)) / k for h, lo in zip(high.tolist(), low.tolist())]))


def mean_pairwise_rms(x: np.ndarray) -> float:
    """Mean root-mean-square difference over all pairs of the rows of ``x`` ([N, ...])."""
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    total, pairs = 0.0, 0
    for i in range(len(flat)):
        d = flat[i + 1:] - flat[i]
        total += np.sqrt((d**2).mean(axis=1)).sum()
        pairs += len(d)
    return total / pairs if pairs else 0.0
