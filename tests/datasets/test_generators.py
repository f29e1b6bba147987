"""Built-in dataset generators: shapes, labels, ranges and the property each one must have."""

import itertools
import sys

import numpy as np
import pytest

from engines import datasets


@pytest.mark.parametrize("op, rule", [
    ("and", lambda a, b: a and b), ("or", lambda a, b: a or b),
    ("nand", lambda a, b: not (a and b)), ("nor", lambda a, b: not (a or b)),
    ("xor", lambda a, b: a != b),
])
def test_logic_tables_match_python_operators(op, rule):
    x, labels = datasets.logic(op)
    assert x.shape == (4, 2) and x.dtype == np.float32
    assert {tuple(row) for row in x.astype(int)} == set(itertools.product((0, 1), repeat=2))
    for row, label in zip(x.astype(int), labels):
        assert label == int(rule(bool(row[0]), bool(row[1])))


def test_not_and_xor_and_unknown_op():
    x, labels = datasets.logic("NOT")
    assert x[:, 0].tolist() == [0, 1] and labels.tolist() == [1, 0]
    x, labels = datasets.xor()
    assert labels.tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match="xnor"):
        datasets.logic("xnor")


def _runs_along_ray(x, labels, angle, width=0.12):
    phi = np.arctan2(x[:, 1], x[:, 0])
    near = np.abs(np.angle(np.exp(1j * (phi - angle)))) < width
    order = np.argsort(np.hypot(x[near, 0], x[near, 1]))
    sequence = labels[near][order]
    return [label for i, label in enumerate(sequence) if i == 0 or label != sequence[i - 1]]


def test_two_spirals_are_balanced_symmetric_and_interleaved():
    x, labels = datasets.two_spirals(400, noise=0.0)
    assert x.shape == (400, 2) and x.dtype == np.float32
    assert np.bincount(labels).tolist() == [200, 200]
    # class 1 is class 0 turned by pi, so both cover the same radii
    np.testing.assert_allclose(x[labels == 1], -x[labels == 0], atol=1e-6)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.max() <= 1.0 + 1e-6
    # along any ray from the centre the classes alternate: 2 turns -> about 4 crossings
    for angle in np.linspace(-np.pi, np.pi, 12, endpoint=False):
        assert len(_runs_along_ray(x, labels, angle)) >= 3


def test_two_spirals_noise_is_seeded():
    a, _ = datasets.two_spirals(100, noise=0.05, rng=3)
    b, _ = datasets.two_spirals(100, noise=0.05, rng=3)
    c, _ = datasets.two_spirals(100, noise=0.05, rng=4)
    clean, _ = datasets.two_spirals(100)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert 0.02 < np.std(a - clean) < 0.08


def test_blobs_are_balanced_around_unit_circle_centres():
    x, labels = datasets.blobs(3000, classes=3, noise=0.1, rng=0)
    assert x.shape == (3000, 2) and np.bincount(labels).tolist() == [1000] * 3
    means = np.array([x[labels == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 1.0, atol=0.02)
    assert np.allclose([x[labels == k].std(axis=0) for k in range(3)], 0.1, atol=0.01)


def test_sine_is_sin_of_x_on_minus_pi_to_pi():
    x, y = datasets.sine(101, noise=0.0)
    assert x.shape == y.shape == (101, 1)
    assert x[0, 0] == pytest.approx(-np.pi) and x[-1, 0] == pytest.approx(np.pi)
    np.testing.assert_allclose(y, np.sin(x), atol=1e-6)
    _, noisy = datasets.sine(2000, noise=0.5, rng=1)
    clean = np.sin(np.linspace(-np.pi, np.pi, 2000))
    assert np.std(noisy[:, 0] - clean) == pytest.approx(0.5, rel=0.1)


def _pca3d_reference(n, noise, seed):
    """MODELS.md section E, written out independently."""
    rng = np.random.default_rng(seed)
    angles = rng.random(n) * 3 * np.pi / 2 - 0.5
    x = np.cos(angles) + np.sin(angles) / 2 + noise * rng.standard_normal(n) / 2
    y = np.sin(angles) * 0.7 + noise * rng.standard_normal(n) / 2
    z = x * 0.1 + y * 0.3 + noise * rng.standard_normal(n)
    data = np.stack([x, y, z], axis=1)
    return (data - data.mean(0)) / data.std(0), angles


def test_pca3d_matches_the_notes_formula_and_is_standardised():
    data, angles = datasets.pca3d(200, 0.1, rng=7)
    expected, expected_angles = _pca3d_reference(200, 0.1, 7)
    assert data.shape == (200, 3) and data.dtype == np.float32
    np.testing.assert_allclose(data, expected, atol=1e-5)
    np.testing.assert_allclose(angles, expected_angles, atol=1e-6)
    np.testing.assert_allclose(data.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.std(axis=0), 1.0, atol=1e-5)
    assert angles.min() >= -0.5 and angles.max() <= 3 * np.pi / 2 - 0.5


def test_pca3d_z_is_a_positive_combination_of_x_and_y():
    data, _ = datasets.pca3d(300, noise=0.0, rng=1)
    coef, residual, *_ = np.linalg.lstsq(data[:, :2].astype(np.float64), data[:, 2], rcond=None)
    assert residual[0] < 1e-6 * len(data)  # without noise z lies exactly in the x-y plane
    assert coef[0] > 0 and coef[1] > 0
    noisy, _ = datasets.pca3d(2000, noise=0.1, rng=1)
    corr = np.corrcoef(noisy.T)
    assert corr[2, 0] > 0.3 and corr[2, 1] > 0.5


def test_digits_shape_range_and_independent_copies():
    x, labels = datasets.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(labels.tolist())) == list(range(10))
    assert np.bincount(labels).min() >= 170
    x[:] = 5.0
    assert datasets.digits()[0].max() == 1.0


def test_letters_shapes_classes_and_range():
    x, labels = datasets.letters(size=29, fonts=("default",))
    assert x.shape == (26, 841) and x.dtype == np.float32
    assert labels.tolist() == list(range(26))
    assert x.min() >= 0.0 and x.max() <= 1.0
    assert (x.max(axis=1) > 0.9).all()  # every glyph has ink
    assert len({row.tobytes() for row in x}) == 26


def test_letters_fonts_differ_and_same_letter_is_closer_than_other_letters():
    fonts = datasets.available_fonts()
    x, labels = datasets.letters(size=29)
    assert len(x) == 26 * len(fonts)
    assert fonts == ("sans", "serif", "mono", "default")  # shipped, so on every machine
    images = x.reshape(len(fonts), 26, -1)
    same, different = [], []
    for f, g in itertools.combinations(range(len(fonts)), 2):
        assert np.abs(images[f] - images[g]).mean() > 0.01  # faces really differ
        distance = np.linalg.norm(images[f][:, None] - images[g][None], axis=2)
        same.append(np.diag(distance).mean())
        different.append(distance[~np.eye(26, dtype=bool)].mean())
    assert np.mean(same) < np.mean(different)


def test_letters_noise_flips_alphabet_and_size():
    clean, _ = datasets.letters(size=16, fonts=("default",), alphabet="XO")
    assert clean.shape == (2, 256)
    noisy, _ = datasets.letters(size=16, fonts=("default",), alphabet="XO", noise=0.3, rng=0)
    again, _ = datasets.letters(size=16, fonts=("default",), alphabet="XO", noise=0.3, rng=0)
    np.testing.assert_array_equal(noisy, again)
    assert noisy.min() >= 0 and noisy.max() <= 1 and np.abs(noisy - clean).mean() > 0.05
    flipped, _ = datasets.letters(size=16, fonts=("default",), alphabet="XO", flips=1.0)
    np.testing.assert_allclose(flipped, 1.0 - clean, atol=1e-6)
    assert datasets.letters(size=16, fonts=("default",), alphabet="XO")[0].max() == clean.max()


def test_letters_unknown_font_is_a_clear_error():
    with pytest.raises(ValueError, match="Comic"):
        datasets.letters(fonts=("Comic Sans",))


def test_bipolar_glyphs_are_plus_minus_one_and_distinct():
    patterns = datasets.bipolar_glyphs(size=10, letters="ABCDE")
    assert patterns.shape == (5, 100)
    assert set(np.unique(patterns).tolist()) == {-1.0, 1.0}
    assert len({row.tobytes() for row in patterns}) == 5
    assert ((patterns == 1).mean(axis=1) > 0.1).all()  # some ink, not all ink
    assert ((patterns == 1).mean(axis=1) < 0.8).all()


def test_the_shipped_faces_are_dejavu_sans_serif_and_mono():
    from PIL import ImageFont
    module = sys.modules["engines.datasets.letters"]
    names = {face: ImageFont.truetype(module._font_path(face), 20).getname()[0]
             for face in ("sans", "serif", "mono")}
    assert names == {"sans": "DejaVu Sans", "serif": "DejaVu Serif", "mono": "DejaVu Sans Mono"}


def test_letters_work_without_the_shipped_fonts(monkeypatch):
    module = sys.modules["engines.datasets.letters"]  # the package's `letters` is the function
    monkeypatch.setattr(module, "FONT_DIRS", ())
    assert datasets.available_fonts() == ("default",)
    x, labels = datasets.letters(size=20)
    assert x.shape == (26, 400) and labels.max() == 25 and x.max() > 0.9
