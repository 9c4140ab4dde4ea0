import numpy as np
import pytest

from correlation_platform.linalg import correlation_matrix_distance, frobenius_distance
from correlation_platform.monitoring import noise_floor


def _brute_force(n, h, rho, reps, seed):
    """Independent simulation: Cholesky draws, numpy's corrcoef, the platform's losses."""
    rng = np.random.default_rng(seed)
    truth = np.full((n, n), rho)
    np.fill_diagonal(truth, 1.0)
    chol = np.linalg.cholesky(truth)
    cmd, frob = [], []
    for _ in range(reps):
        sample = np.corrcoef(rng.standard_normal((h, n)) @ chol.T, rowvar=False)
        cmd.append(correlation_matrix_distance(truth, sample))
        frob.append(frobenius_distance(truth, sample))
    return np.array(cmd), np.array(frob)


@pytest.mark.parametrize(
    ("n", "h", "rho"), [(5, 21, 0.0), (12, 21, 0.3), (30, 21, 0.6), (12, 63, 0.3), (40, 10, 0.1)]
)
def test_noise_floor_matches_an_independent_simulation(n, h, rho):
    cmd, frob = _brute_force(n, h, rho, reps=1200, seed=99)
    for loss, draws in (("cmd", cmd), ("frobenius", frob)):
        # Both estimates are Monte Carlo means: 400 draws in the floor, 1,200 here.
        se = draws.std() * np.sqrt(1 / 400 + 1 / 1200)
        assert noise_floor(n, h, rho, loss=loss) == pytest.approx(draws.mean(), abs=4 * se)


def test_noise_floor_shape():
    # More assets, more noise; a longer window, less; at rho = 0 the squared Frobenius error
    # is N(N-1)/(h-1) exactly, so the expected norm sits at its square root (Monte Carlo error 1%).
    assert noise_floor(50, 21, 0.3) > noise_floor(10, 21, 0.3) > noise_floor(10, 63, 0.3)
    exact = np.sqrt(20 * 19 / 20)
    assert noise_floor(20, 21, 0.0, loss="frobenius") == pytest.approx(exact, rel=0.01)
    assert noise_floor(8, 21, 0.3) == noise_floor(8, 21, 0.3)  # deterministic


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_assets": 1, "horizon": 21, "average_correlation": 0.2}, "n_assets"),
        ({"n_assets": 5, "horizon": 2, "average_correlation": 0.2}, "horizon"),
        ({"n_assets": 5, "horizon": 21, "average_correlation": 1.0}, "average_correlation"),
        ({"n_assets": 5, "horizon": 21, "average_correlation": 0.2, "loss": "qlike"}, "loss"),
    ],
)
def test_noise_floor_refuses_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        noise_floor(**kwargs)
