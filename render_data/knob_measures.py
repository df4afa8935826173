"""What the knob chapters (06-10) measure on images and walks (the label judge is render_data.judge).

Distances are RMSE in image units (0 = equal, 1 = black vs white): uint8 images / 255, model states
(in [-1, 1]) / 2. A spread is the mean pairwise distance of a set of images.
"""

from __future__ import annotations

import numpy as np

# ------------------------------------------------------------------------------------------ distances


def as_unit(images: np.ndarray) -> np.ndarray:
    """uint8 images -> float64 in [0, 1]."""
    return np.asarray(images, np.float64) / 255.0


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    """RMSE between two uint8 images, in image units."""
    return float(np.sqrt(np.mean((as_unit(a) - as_unit(b)) ** 2)))


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean Euclidean distance over all pairs of a set [N, ...] of points."""
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    sq = (flat ** 2).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * flat @ flat.T, 0.0)
    return float(np.sqrt(d2[np.triu_indices(len(x), 1)]).mean())


def mean_pairwise_rmse(x: np.ndarray) -> float:
    """Mean RMSE over all pairs of a set [N, ...] of points already in image units (float)."""
    return mean_pairwise_distance(x) / np.sqrt(np.asarray(x[0]).size)


def image_spread(images: np.ndarray) -> float:
    """Mean pairwise RMSE of uint8 images [N, H, W, 3]: how different the pictures of one setting are."""
    return mean_pairwise_rmse(as_unit(images))


# ------------------------------------------------------------------------------------------ colour


def saturation(images: np.ndarray) -> np.ndarray:
    """Mean HSV saturation per uint8 image [N, H, W, 3]: (max - min) / max of each pixel's channels."""
    x = as_unit(images)
    hi, lo = x.max(-1), x.min(-1)
    s = np.where(hi > 0, (hi - lo) / np.maximum(hi, 1e-12), 0.0)
    return s.mean(axis=(1, 2))


def rms_contrast(images: np.ndarray) -> np.ndarray:
    """RMS contrast per image: the standard deviation of luma (Rec. 601) in [0, 1]."""
    luma = as_unit(images) @ np.array([0.299, 0.587, 0.114])
    return luma.std(axis=(1, 2))


def clipped_fraction(images: np.ndarray) -> np.ndarray:
    """Per image, the fraction of colour values at 0 or 255: burnt-out colour."""
    x = np.asarray(images)
    return ((x == 0) | (x == 255)).mean(axis=(1, 2, 3))


# ------------------------------------------------------------------------------------------ 2D plane


def fit_plane(points: np.ndarray):
    """A 2D PCA (scikit-learn) fitted on points [N, D] (float): ``.transform`` projects, explained_variance_ratio_."""
    from sklearn.decomposition import PCA

    return PCA(n_components=2, svd_solver="full").fit(np.asarray(points, np.float64))


def project_paths(plane, paths: np.ndarray) -> np.ndarray:
    """[R, S, ...] walks -> [R, S, 2] in the plane."""
    r, s = paths.shape[:2]
    return plane.transform(np.asarray(paths, np.float64).reshape(r * s, -1)).reshape(r, s, 2).astype(np.float32)


# ------------------------------------------------------------------------------------------ judging halves


def half_images(images: np.ndarray, side: str) -> np.ndarray:
    """Each image with the other half painted over in the kept half's background colour (the median of
    its outer border), so the judge reads one object where the model put it, at the size it drew it."""
    x = np.array(images, copy=True)
    w = x.shape[2] // 2
    keep, other = (slice(0, w), slice(w, None)) if side == "left" else (slice(w, None), slice(0, w))
    half = x[:, :, keep]
    outer = half[:, :, :1] if side == "left" else half[:, :, -1:]
    border = np.concatenate([half[:, 0], half[:, -1], outer[:, :, 0]], axis=1)  # [N, P, 3]
    x[:, :, other] = np.median(border, axis=1).astype(np.uint8)[:, None, None, :]
    return x


def display_signed(x: np.ndarray, scale: float) -> np.ndarray:
    """A signed [C, h, w] (or [N, C, h, w]) array as uint8 images: 0 -> grey, +-scale -> the extremes."""
    img = np.clip(0.5 + np.asarray(x, np.float64) / (2 * scale), 0.0, 1.0)
    return (np.moveaxis(img, -3, -1) * 255).round().astype(np.uint8)
