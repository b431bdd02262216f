r"""Feature-map and box-discrepancy kernels written against the Array API standard only."""

from __future__ import annotations

from array_api_compat import array_namespace

__all__ = ["cos_sin", "cos_phase", "sinc_box_sum", "gaussian_from_gram", "distance_kernel"]

#: pairs (rows of W times rows of V) evaluated at once by ``sinc_box_sum``
_PAIR_BLOCK = 2**20


def cos_sin(out, s: int, scale: float):
    """``scale [cos Z, sin Z]`` (n x 2s) for ``Z = out[:, :s]`` (a new array)."""
    xp = array_namespace(out)
    Z = out[:, :s]
    scale = float(scale)
    return xp.concat([scale * xp.cos(Z), scale * xp.sin(Z)], axis=1)


def cos_phase(out, phase, scale: float):
    """``scale cos(Z + phase)`` (phase per column) for ``Z = out`` (a new array)."""
    xp = array_namespace(out)
    return float(scale) * xp.cos(out + xp.astype(phase, out.dtype)[None, :])


def _sinc_and_slope(xp, x):
    """sin(x)/x and its derivative, with the CPU kernel's Taylor series for |x| < 0.05."""
    small = xp.abs(x) < 0.05
    safe = xp.where(small, 1.0, x)
    x2 = x * x
    f_series = 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0))
    g_series = -x / 3.0 * (1.0 - x2 / 10.0 * (1.0 - x2 / 28.0 * (1.0 - x2 / 54.0)))
    sv, cv = xp.sin(safe), xp.cos(safe)
    return (xp.where(small, f_series, sv / safe),
            xp.where(small, g_series, (safe * cv - sv) / (safe * safe)))


def sinc_box_sum(W, V, b, want_grad: bool):
    r"""Sum of the normalised sinc kernel over all pairs, and its gradient in ``W``.

    :math:`T = \sum_{l,m} \prod_j f_j(w_{lj} - v_{mj})` with
    :math:`f_j(z) = \sin(b_j z)/(b_j z)`, and ``G[l, j]`` :math:`= \partial T/\partial w_{lj}`
    (zeros when ``want_grad`` is False); float64.
    """
    xp = array_namespace(W, V, b)
    s, d = W.shape
    step = max(1, _PAIR_BLOCK // max(1, V.shape[0] * d))
    total = 0.0
    grads = []
    for l0 in range(0, s, step):
        Z = b[None, None, :] * (W[l0:min(s, l0 + step), None, :] - V[None, :, :])
        f, g = _sinc_and_slope(xp, Z)
        total = total + float(xp.sum(xp.prod(f, axis=2)))
        if want_grad:
            columns = []
            for j in range(d):
                others = xp.prod(xp.concat([f[:, :, :j], f[:, :, j + 1:]], axis=2), axis=2)
                columns.append(b[j] * xp.sum(g[:, :, j] * others, axis=1))
            grads.append(xp.stack(columns, axis=1))
    G = (xp.concat(grads, axis=0) if want_grad
         else xp.zeros((s, d), dtype=xp.float64, device=getattr(W, "device", None)))
    return total, G


def gaussian_from_gram(G, x_sq, y_sq):
    """``exp(-max(x_sq_i + y_sq_j - 2 G_ij, 0) / 2)`` for the Gram block ``G = X Y^T``
    (a new array)."""
    xp = array_namespace(G)
    squared = x_sq[:, None] + y_sq[None, :] - 2.0 * G
    return xp.exp(-0.5 * xp.where(squared > 0, squared, xp.zeros_like(squared)))


def distance_kernel(X, Y, kernel: str):
    """The Laplacian, Cauchy or Gaussian kernel of the rows of X and Y (already divided
    by the bandwidth), one feature at a time (memory of one n x m block)."""
    xp = array_namespace(X)
    total = xp.zeros((X.shape[0], Y.shape[0]), dtype=X.dtype)
    for k in range(X.shape[1]):
        t = X[:, k][:, None] - Y[:, k][None, :]
        total = total + {"laplacian": xp.abs, "cauchy": lambda t: xp.log1p(t * t),
                         "gaussian": lambda t: 0.5 * t * t}[kernel](t)
    return xp.exp(-total)
