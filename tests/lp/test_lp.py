"""Positive LP solvers against HiGHS, exact small instances, and the certificates."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse.csgraph import maximum_bipartite_matching

from rnla.lp import solve_covering, solve_packing, solve_positive_lp

TOL = 1e-9


def random_packing(m, n, density, rng, lognormal=False):
    rng = np.random.default_rng(rng)
    A = sp.random(m, n, density=density, random_state=rng, format="csc",
                  data_rvs=(lambda k: rng.lognormal(0, 1, k)) if lognormal
                  else (lambda k: rng.uniform(0.1, 1, k)))
    extra = sp.csc_array((rng.uniform(0.1, 1, n), (rng.integers(0, m, n), np.arange(n))),
                         shape=(m, n))
    return sp.csc_array(A + extra)


def set_cover(n_sets, n_elements, rng):
    rng = np.random.default_rng(rng)
    sizes = np.minimum(n_elements, (rng.pareto(1.5, n_sets) + 1).astype(int) * 2)
    rows, cols = [], []
    for s, k in enumerate(sizes):
        rows += [s] * k
        cols += list(rng.choice(n_elements, k, replace=False))
    rows += list(rng.integers(0, n_sets, n_elements))  # every element covered
    cols += list(range(n_elements))
    A = sp.csc_array((np.ones(len(rows)), (rows, cols)), shape=(n_sets, n_elements))
    A.data[:] = 1.0
    A.sum_duplicates()
    A.data[:] = 1.0
    return A


def bipartite_incidence(n_left, n_right, n_edges, rng):
    rng = np.random.default_rng(rng)
    edges = np.unique(np.column_stack([rng.integers(0, n_left, n_edges),
                                       rng.integers(0, n_right, n_edges)]), axis=0)
    k = len(edges)
    rows = np.concatenate([edges[:, 0], n_left + edges[:, 1]])
    A = sp.csc_array((np.ones(2 * k), (rows, np.tile(np.arange(k), 2))),
                     shape=(n_left + n_right, k))
    graph = sp.csr_array((np.ones(k), (edges[:, 0], edges[:, 1])), shape=(n_left, n_right))
    return A, int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def highs_opt(A):
    m, n = A.shape
    res = linprog(-np.ones(n), A_ub=A, b_ub=np.ones(m), bounds=(0, None), method="highs")
    assert res.status == 0
    return -res.fun


def assert_certified(res, A, opt, eps, sense="packing"):
    x, y = (res.x, res.dual) if sense == "packing" else (res.dual, res.x)
    P, D = float(x.sum()), float(y.sum())
    assert (x >= 0).all() and (y >= 0).all()
    assert (A @ x).max() <= 1 + TOL                    # primal exactly feasible
    assert (A.T @ y).min() >= 1 - TOL                  # dual exactly feasible
    assert P <= opt * (1 + TOL) and opt <= D * (1 + TOL)   # weak duality brackets OPT
    assert res.converged and res.status == "certified"
    assert P >= (1 - eps) * D * (1 - TOL)              # certified gap
    assert P >= (1 - eps) * opt * (1 - TOL)
    assert res.gap == pytest.approx(1 - P / D, abs=1e-12)


@pytest.mark.parametrize("eps", [0.1, 0.05, 0.01])
@pytest.mark.parametrize("method", ["dbscd", "pdhg", "coordinate"])
def test_random_sparse_against_highs(eps, method):
    A = random_packing(60, 80, 0.08, rng=1)
    res = solve_packing(A, eps, method=method, rng=0)
    assert_certified(res, A, highs_opt(A), eps)


@pytest.mark.parametrize("eps", [0.1, 0.05])
@pytest.mark.parametrize("method", ["dbscd", "pdhg"])
def test_larger_lognormal_packing(eps, method):
    A = random_packing(250, 300, 0.02, rng=2, lognormal=True)
    assert_certified(solve_packing(A, eps, method=method, rng=0), A, highs_opt(A), eps)


@pytest.mark.parametrize("eps", [0.1, 0.05, 0.01])
@pytest.mark.parametrize("method", ["dbscd", "pdhg"])
def test_set_cover_relaxation(eps, method):
    A = set_cover(40, 120, rng=3)
    res = solve_covering(A, eps, method=method, rng=0)
    assert_certified(res, A, highs_opt(A), eps, sense="covering")
    assert res.objective == pytest.approx(res.x.sum())


@pytest.mark.parametrize("eps", [0.1, 0.05])
@pytest.mark.parametrize("method", ["dbscd", "pdhg"])
def test_bipartite_matching_is_integral(eps, method):
    A, matching = bipartite_incidence(30, 30, 90, rng=4)
    assert_certified(solve_packing(A.tocsr(), eps, method=method, rng=0), A, matching, eps)


@pytest.mark.parametrize(("A", "opt"), [
    (np.eye(5), 5.0),
    (np.ones((4, 6)), 1.0),
    # edge-vertex incidence of the 5-cycle: fractional matching x_e = 1/2
    (np.array([[1, 0, 0, 0, 1], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0],
               [0, 0, 0, 1, 1]], dtype=float), 2.5),
])
@pytest.mark.parametrize("method", ["dbscd", "pdhg"])
def test_known_optima(A, opt, method):
    assert_certified(solve_packing(A, 0.01, method=method, rng=0), A, opt, 0.01)


def test_dbscd_needs_fewer_passes_than_coordinate():
    A = random_packing(200, 200, 0.03, rng=5)
    fast = solve_packing(A, 0.05, method="dbscd", rng=0)
    slow = solve_packing(A, 0.05, method="coordinate", rng=0)
    assert fast.converged and slow.converged
    assert fast.passes < slow.passes


def test_pdhg_needs_far_fewer_passes_than_dbscd_and_any_thread_count_gives_its_bits():
    import numba

    A = random_packing(300, 300, 0.03, rng=5)
    pdhg = solve_packing(A, 0.05, method="pdhg")
    dbscd = solve_packing(A, 0.05, method="dbscd", rng=0)
    assert pdhg.converged and dbscd.converged
    assert pdhg.passes < dbscd.passes / 10
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        serial = solve_packing(A, 0.05, method="pdhg")
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(serial.x, pdhg.x)
    np.testing.assert_array_equal(serial.dual, pdhg.dual)


def test_general_form_round_trip_against_highs():
    rng = np.random.default_rng(6)
    A = random_packing(40, 50, 0.1, rng=6).toarray() * 3.0
    b, c = rng.uniform(0.5, 4, 40), rng.uniform(0.2, 5, 50)
    ref = linprog(-c, A_ub=A, b_ub=b, bounds=(0, None), method="highs")
    res = solve_positive_lp(c, A, b, "packing", 0.02, rng=0)
    assert (A @ res.x <= b).all() and (A.T @ res.dual >= c).all()
    assert res.objective == pytest.approx(c @ res.x)
    assert res.dual_objective == pytest.approx(b @ res.dual)
    assert res.objective <= -ref.fun * (1 + TOL) <= res.dual_objective * (1 + TOL) ** 2
    assert res.objective >= 0.98 * -ref.fun
    # covering: min c^T x s.t. A^T x >= b' on the transpose
    ref = linprog(b, A_ub=-A.T, b_ub=-c, bounds=(0, None), method="highs")
    cov = solve_positive_lp(b, A.T, c, "covering", 0.02, rng=0)
    assert (A.T @ cov.x >= c).all() and (A @ cov.dual <= b).all()
    assert cov.dual_objective <= ref.fun * (1 + TOL) <= cov.objective * (1 + TOL) ** 2
    assert cov.objective <= ref.fun / 0.98


@settings(max_examples=15, deadline=None)
@given(m=st.integers(1, 12), n=st.integers(1, 12), seed=st.integers(0, 2**16),
       scale=st.floats(1e-3, 1e3), method=st.sampled_from(["dbscd", "pdhg"]))
def test_property_certificate_brackets_highs(m, n, seed, scale, method):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0, 1, (m, n)) * (rng.random((m, n)) < 0.6) * scale
    A[rng.integers(0, m, n), np.arange(n)] += scale * 0.1   # no zero column
    res = solve_packing(A, 0.1, method=method, rng=seed)
    opt = highs_opt(sp.csr_array(A))
    assert_certified(res, A, opt, 0.1)


def test_permutation_and_float32_input():
    A = random_packing(50, 60, 0.1, rng=7)
    base = solve_packing(A, 0.02, rng=0)
    rng = np.random.default_rng(0)
    pr, pc = rng.permutation(50), rng.permutation(60)
    perm = solve_packing(A[pr][:, pc], 0.02, rng=0)
    opt = highs_opt(A)
    for res in (base, perm):
        assert res.objective >= 0.98 * opt
    f32 = solve_packing(A.astype(np.float32).toarray(), 0.02, rng=0)
    assert f32.x.dtype == np.float64 and f32.converged


def test_reproducible_and_input_untouched():
    A = random_packing(30, 40, 0.1, rng=8)
    before = A.copy()
    r1, r2 = solve_packing(A, 0.05, rng=3), solve_packing(A, 0.05, rng=3)
    np.testing.assert_array_equal(r1.x, r2.x)
    assert r1.n_iter == r2.n_iter
    assert (A != before).nnz == 0


@pytest.mark.parametrize("method", ["pdhg", "dbscd"])
def test_callback_and_limits(method):
    A = random_packing(60, 80, 0.08, rng=1)
    seen = []
    res = solve_packing(A, 1e-6, method=method, rng=0,
                        callback=lambda s: seen.append(s.gap) or len(seen) >= 3)
    assert res.status == "callback" and len(seen) == 3
    assert (A @ res.x).max() <= 1 + TOL and (A.T @ res.dual).min() >= 1 - TOL
    res = solve_packing(A, 0.01, method=method, rng=0, maxiter=20)
    assert res.status == "maxiter" and not res.converged and res.n_iter == 20


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: solve_packing(np.array([[1.0, -1.0]])), ValueError, "nonnegative"),
    (lambda: solve_packing(np.array([[1.0, np.nan]])), ValueError, "finite"),
    (lambda: solve_packing(np.array([[1.0, 0.0], [1.0, 0.0]])), ValueError,
     r"column \(1\).*unbounded"),
    (lambda: solve_covering(np.array([[1.0, 0.0], [1.0, 0.0]])), ValueError, "infeasible"),
    (lambda: solve_positive_lp([1.0], np.array([[1.0], [0.0]]), [1.0, 1.0], "covering"),
     ValueError, r"row \(1\).*infeasible"),
    (lambda: solve_packing(np.eye(2), eps=0.0), ValueError, "eps"),
    (lambda: solve_packing(np.eye(2), eps=0.7), ValueError, "eps"),
    (lambda: solve_packing(np.zeros((0, 3))), ValueError, "non-empty"),
    (lambda: solve_packing(np.eye(2), method="simplex"), ValueError, "method"),
    (lambda: solve_positive_lp([1.0, 1.0], np.eye(2), [1.0]), ValueError, r"`b` must have shape"),
    (lambda: solve_positive_lp([1.0, 0.0], np.eye(2), [1.0, 1.0]), ValueError, "positive"),
    (lambda: solve_positive_lp([1.0], np.eye(2), [1.0, 1.0]), ValueError, r"`c` must have shape"),
    (lambda: solve_positive_lp([1.0, 1.0], np.eye(2), [1.0, 1.0], "mixed"), ValueError, "sense"),
    (lambda: solve_packing("A"), TypeError, "array-like"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_cli_solves_a_matrix_market_file(tmp_path, capsys):
    import scipy.io

    from rnla.__main__ import main

    A = random_packing(30, 40, 0.1, rng=9)
    scipy.io.mmwrite(tmp_path / "a.mtx", A)
    out = tmp_path / "sol.npz"
    assert main(["lp", "packing", str(tmp_path / "a.mtx"), "--eps", "0.05", "-o", str(out)]) == 0
    assert "certified gap" in capsys.readouterr().out
    sol = np.load(out)
    assert (A @ sol["x"]).max() <= 1 and float(sol["gap"]) <= 0.05
    with pytest.raises(SystemExit):
        main(["lp", "packing", str(tmp_path / "a.mtx"), "--eps", "2"])


def _with_empty_rows(A, where: str) -> sp.csc_array:
    """A with an all-zero row inserted at the start, in the middle or at the end."""
    m, n = A.shape
    at = {"start": 0, "middle": m // 2, "end": m}[where]
    Z = sp.csc_array((1, n))
    return sp.csc_array(sp.vstack([A[:at], Z, Z, A[at:]]) if at else sp.vstack([Z, Z, A]))


@pytest.mark.parametrize("where", ["start", "middle", "end"])
@pytest.mark.parametrize("method", ["pdhg", "dbscd", "coordinate"])
def test_empty_rows_are_vacuous_constraints(where, method):
    """A zero row of the packing LP is the constraint 0 <= 1: the optimum and the
    certificates are those of A without it, with a zero dual entry there; the covering
    LP's y for such a row is 0 (it meets no constraint)."""
    A = random_packing(20, 30, 0.15, rng=3)
    Ae = _with_empty_rows(A, where)
    empty = np.flatnonzero(np.diff(sp.csr_array(Ae).indptr) == 0)
    assert empty.size == 2
    opt = highs_opt(Ae)
    assert opt == pytest.approx(highs_opt(A), rel=1e-9)
    for dense in (False, True):
        M = Ae.toarray() if dense else Ae
        res = solve_packing(M, eps=0.05, method=method, rng=0)
        assert_certified(res, Ae, opt, 0.05)
        assert (res.dual[empty] == 0).all()
        cov = solve_covering(M, eps=0.05, method=method, rng=0)
        assert_certified(cov, Ae, opt, 0.05, sense="covering")
        assert (cov.x[empty] == 0).all()
    # the general form: a zero row of a packing LP holds for any b_j > 0
    m, n = Ae.shape
    c, b = np.linspace(1, 2, n), np.linspace(1, 3, m)
    res = solve_positive_lp(c, Ae, b, "packing", eps=0.05, method=method, rng=0)
    ref = linprog(-c, A_ub=Ae, b_ub=b, bounds=(0, None), method="highs")
    assert (Ae @ res.x <= b).all() and res.objective >= (1 - 0.05) * -ref.fun * (1 - TOL)
    assert (res.dual[empty] == 0).all()


def test_empty_rows_in_the_general_covering_form_are_infeasible():
    A = _with_empty_rows(random_packing(10, 12, 0.3, rng=1), "middle")
    with pytest.raises(ValueError, match="all-zero row"):
        solve_positive_lp(np.ones(12), A, np.ones(A.shape[0]), "covering")


def test_cli_checks_the_output_path_before_solving(tmp_path):
    import scipy.io

    from rnla.__main__ import main

    scipy.io.mmwrite(tmp_path / "a.mtx", random_packing(10, 12, 0.3, rng=1))
    with pytest.raises(SystemExit):
        main(["lp", "packing", str(tmp_path / "a.mtx"), "-o",
              str(tmp_path / "missing" / "x.npz")])


@pytest.mark.parametrize("pattern", [False, True])
@pytest.mark.parametrize("reflect", [0.0, 1.0])
def test_pdhg_kernel_is_the_reflected_halpern_iteration(reflect, pattern):
    from rnla.backend.cpu import pdhg_steps
    from rnla.lp._problem import standard_form

    M = random_packing(60, 80, 0.1, rng=7)
    rng = np.random.default_rng(0)
    if pattern:  # a 0/1 matrix with weights: the kernel reads r_j c_i, not the data
        M.data[:] = 1.0
        sf = standard_form(M, rng.uniform(0.5, 2, 80), rng.uniform(0.5, 2, 60), "{i}")
        r, c = sf.pattern_scales
        expected = sp.csc_array((r[sf.A.indices] * np.repeat(c, np.diff(sf.A.indptr)),
                                 sf.A.indices, sf.A.indptr), shape=sf.A.shape)
        np.testing.assert_allclose(expected.data, sf.A.data, rtol=4e-16)
    else:
        sf = standard_form(M, None, None, "{i}")
        assert sf.pattern_scales is None
        r = c = np.empty(0)
        expected = sf.A
    A, csr = expected, sp.csr_array(expected)
    m, n = A.shape
    tau, sigma = rng.uniform(0.1, 1, n), rng.uniform(0.1, 1, m)
    x0, y0 = rng.uniform(0, 1, n), rng.uniform(0, 1, m)
    x, y = rng.uniform(0, 1, n), rng.uniform(0, 1, m)
    ref_x, ref_y = x.copy(), y.copy()
    for k in range(3, 8):  # k0 = 3, five steps
        xt = np.maximum(0, ref_x - tau * (A.T @ ref_y - 1))
        yt = np.maximum(0, ref_y + sigma * (csr @ (2 * xt - ref_x) - 1))
        coef = (k + 1) / (k + 2)
        ref_x = coef * ((1 + reflect) * xt - reflect * ref_x) + x0 / (k + 2)
        ref_y = coef * ((1 + reflect) * yt - reflect * ref_y) + y0 / (k + 2)
    out_t = np.empty(n), np.empty(m)
    pdhg_steps(*sf.csc_arrays, *sf.row_pattern, sf.csr.data, tau, sigma, 3, 5, reflect, x, y,
               x0.copy(), y0.copy(), *out_t, np.empty(n), r, c, np.empty(m if pattern else 0))
    for got, want in ((x, ref_x), (y, ref_y), (out_t[0], xt), (out_t[1], yt)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_unit_matrix_gets_the_pattern_path_and_the_same_answer_as_the_data_path():
    import rnla.lp._problem as problem

    A = set_cover(300, 600, rng=3)  # 0/1
    with_pattern = solve_covering(A, 0.01)
    original = problem.standard_form

    def without_pattern(*args):
        sf = original(*args)
        sf.pattern_scales = None
        return sf

    import rnla.lp.solve as solve_module

    try:
        solve_module.standard_form = without_pattern
        plain = solve_covering(A, 0.01)
    finally:
        solve_module.standard_form = original
    assert with_pattern.converged and plain.converged
    opt = highs_opt(A)  # the covering optimum is its packing dual's
    assert with_pattern.dual_objective <= opt * (1 + TOL) <= with_pattern.objective * (1 + TOL)
    # the two paths differ by rounding in A's entries (r_j c_i against the scaled data)
    assert with_pattern.n_iter == plain.n_iter
    assert with_pattern.objective == pytest.approx(plain.objective, rel=1e-9)


def test_weighted_crew_scheduling_cover_against_highs():
    from bench.positive_lp import rail_like

    A, costs = rail_like(80, 3000, 0)
    m = A.shape[0]
    ref = linprog(costs, A_ub=-A, b_ub=-np.ones(m), bounds=(0, None), method="highs")
    res = solve_positive_lp(costs, A, np.ones(m), "covering", 0.01)
    assert res.converged and res.gap <= 0.01
    assert (A @ res.x >= 1 - TOL).all() and (res.x >= 0).all()
    assert (A.T @ res.dual <= costs * (1 + TOL)).all() and (res.dual >= 0).all()
    assert res.dual_objective <= ref.fun * (1 + TOL) <= res.objective * (1 + TOL)
    assert res.objective <= ref.fun / (1 - 0.01) * (1 + TOL)
