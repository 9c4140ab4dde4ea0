import numpy as np
import pandas as pd
import pytest

from correlation_platform import linalg


def test_nearest_correlation_matches_higham_2002_example():
    # Higham (2002), "Computing the nearest correlation matrix", section 4 example.
    a = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
    x = linalg.nearest_correlation(a)
    np.testing.assert_allclose(x, expected, atol=1e-4)
    assert linalg.is_correlation_matrix(x)


def test_nearest_correlation_leaves_valid_matrix_alone(rng):
    z = rng.standard_normal((200, 5))
    r = np.corrcoef(z, rowvar=False)
    np.testing.assert_allclose(linalg.nearest_correlation(r), r, atol=1e-8)


def test_repair_reports_pre_repair_min_eigenvalue():
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    rep = linalg.repair_correlation(bad)
    assert rep.repaired
    assert rep.min_eigenvalue_before == pytest.approx(np.linalg.eigvalsh(bad)[0])
    assert rep.min_eigenvalue_before < 0
    assert linalg.is_correlation_matrix(rep.matrix)


def test_correlation_violations_name_each_rule():
    m = np.array([[1.0, 1.2], [0.3, 0.9]])
    problems = " ".join(linalg.correlation_violations(m))
    assert "symmetric" in problems and "diagonal" in problems and "[-1, 1]" in problems
    assert linalg.correlation_violations(np.eye(3)) == []


def test_cov_corr_round_trip(rng):
    z = rng.standard_normal((300, 4)) * np.array([1.0, 2.0, 0.5, 3.0])
    cov = np.cov(z, rowvar=False)
    corr, vol = linalg.cov_to_corr(cov)
    np.testing.assert_allclose(corr, np.corrcoef(z, rowvar=False), atol=1e-12)
    np.testing.assert_allclose(linalg.corr_to_cov(corr, vol), cov, atol=1e-12)
    frame = pd.DataFrame(cov, index=list("abcd"), columns=list("abcd"))
    assert list(linalg.cov_to_corr(frame)[0].columns) == list("abcd")


def test_correlation_matrix_distance_by_hand():
    r1 = np.eye(2)
    r2 = np.array([[1.0, 0.5], [0.5, 1.0]])
    # tr(R1 R2) = 2, ||R1|| = sqrt(2), ||R2|| = sqrt(2.5): 1 - 2 / sqrt(5)
    assert linalg.correlation_matrix_distance(r1, r2) == pytest.approx(1 - 2 / np.sqrt(5))
    assert linalg.correlation_matrix_distance(r2, r2) == pytest.approx(0.0, abs=1e-12)


def test_pairs_round_trip(rng):
    mats = np.stack([np.corrcoef(rng.standard_normal((50, 4)), rowvar=False) for _ in range(3)])
    dates = pd.bdate_range("2020-01-01", periods=3)
    frame = linalg.matrices_to_pairs(mats, dates, ["w", "x", "y", "z"])
    assert list(frame.columns[:2]) == ["w|x", "w|y"]
    back, assets = linalg.pairs_to_matrices(frame)
    assert assets == ["w", "x", "y", "z"]
    np.testing.assert_allclose(back, mats)


def test_fisher_z_round_trip():
    r = np.array([-0.9, 0.0, 0.5, 0.99])
    np.testing.assert_allclose(linalg.inverse_fisher_z(linalg.fisher_z(r)), r)
