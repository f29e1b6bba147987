"""Sequence tasks generated offline: arrays (samples, time, features) with per-step targets.

Every generator returns (x, y) with x (samples, steps, features) and y (samples, steps,
outputs): y[:, t] is the answer after reading x[:, :t + 1], so a many-to-one task's answer is
y[:, -1]. Everything is seeded by the caller's numpy Generator; nothing is downloaded.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

TEXT_PATH = Path(__file__).parent / "texts" / "workbench.txt"
COPY_SYMBOLS = 8  # copy task: symbols 1..8, 0 is the blank, 9 the "now copy" marker
COPY_LENGTH = 5
WORD_VOCABULARY = 60  # word task: the most frequent words; the rest become <unk>


def sine(samples: int, steps: int, rng: np.random.Generator):
    """Sines with random frequency and phase; the target is the next value."""
    frequency = rng.uniform(0.1, 0.3, (samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (samples, 1))
    signal = np.sin(frequency * np.arange(steps + 1) + phase)
    return signal[:, :-1, None], signal[:, 1:, None]


@lru_cache(maxsize=4)
def mackey_glass_series(length: int, tau: int = 17, beta: float = 0.2, gamma: float = 0.1,
                        power: int = 10, substeps: int = 10) -> np.ndarray:
    """The Mackey-Glass delay equation dx/dt = beta x(t-tau) / (1 + x(t-tau)^p) - gamma x,
    integrated with Euler steps of 1/substeps, sampled once per time unit, standardised."""
    dt = 1.0 / substeps
    history = tau * substeps
    total = (length + 200) * substeps
    x = np.full(total + history, 1.2)
    for k in range(history, total + history - 1):
        delayed = x[k - history]
        x[k + 1] = x[k] + dt * (beta * delayed / (1 + delayed ** power) - gamma * x[k])
    series = x[history + 200 * substeps::substeps][:length]
    return (series - series.mean()) / series.std()


def mackey_glass(samples: int, steps: int, rng: np.random.Generator):
    """Windows of the chaotic Mackey-Glass series (tau 17); the target is the next value."""
    series = mackey_glass_series(max(2000, 4 * steps))
    starts = rng.integers(0, len(series) - steps - 1, samples)
    index = starts[:, None] + np.arange(steps + 1)
    windows = series[index]
    return windows[:, :-1, None], windows[:, 1:, None]


def adding(samples: int, steps: int, rng: np.random.Generator):
    """The adding problem: a value channel in [0, 1) and a marker channel with two 1s (one in
    each half); the answer is the sum of the two marked values (running sum per step)."""
    values = rng.uniform(0, 1, (samples, steps))
    marks = np.zeros((samples, steps))
    half = max(steps // 2, 1)
    rows = np.arange(samples)
    marks[rows, rng.integers(0, half, samples)] = 1
    marks[rows, rng.integers(half, steps, samples) if steps > 1 else 0] = 1
    x = np.stack([values, marks], axis=2)
    return x, np.cumsum(values * marks, axis=1)[:, :, None]


def copy_task(samples: int, steps: int, rng: np.random.Generator):
    """Copy/memory: COPY_LENGTH symbols, blanks, a marker, and then the symbols again at the
    end. One-hot (blank, symbols, marker); the target is blank until the copy."""
    k = COPY_LENGTH
    if steps < 2 * k + 1:
        raise ValueError(f"the copy task needs at least {2 * k + 1} steps; got {steps}")
    classes = COPY_SYMBOLS + 2
    symbols = rng.integers(1, COPY_SYMBOLS + 1, (samples, k))
    inputs = np.zeros((samples, steps), dtype=np.int64)
    targets = np.zeros((samples, steps), dtype=np.int64)
    inputs[:, :k] = symbols
    inputs[:, steps - k - 1] = classes - 1
    targets[:, steps - k:] = symbols
    eye = np.eye(classes)
    return eye[inputs], eye[targets]


def parity(samples: int, steps: int, rng: np.random.Generator):
    """Random bits; the target is the parity of the bits read so far."""
    bits = rng.integers(0, 2, (samples, steps))
    return bits[:, :, None].astype(float), (np.cumsum(bits, axis=1) % 2)[:, :, None] * 1.0


@lru_cache(maxsize=1)
def text() -> str:
    """The shipped text (written for the project), lower-cased, whitespace runs as one space."""
    return re.sub(r"\s+", " ", TEXT_PATH.read_text(encoding="utf-8").lower()).strip()


@lru_cache(maxsize=1)
def characters() -> str:
    """The character vocabulary of the shipped text, sorted."""
    return "".join(sorted(set(text())))


@lru_cache(maxsize=1)
def words() -> tuple[str, ...]:
    """The word vocabulary: '<unk>' and the WORD_VOCABULARY - 1 most frequent tokens."""
    tokens = re.findall(r"[a-z]+|[.,]", text())
    counts: dict[str, int] = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    common = sorted(counts, key=lambda w: (-counts[w], w))[:WORD_VOCABULARY - 1]
    return ("<unk>", *sorted(common))


def _windows(codes: np.ndarray, classes: int, samples: int, steps: int, rng):
    if len(codes) < steps + 2:
        raise ValueError(f"the text has {len(codes)} tokens; sequences of {steps} steps "
                         "need more")
    starts = rng.integers(0, len(codes) - steps - 1, samples)
    index = starts[:, None] + np.arange(steps + 1)
    eye = np.eye(classes)
    windows = codes[index]
    return eye[windows[:, :-1]], eye[windows[:, 1:]]


def char_text(samples: int, steps: int, rng: np.random.Generator):
    """Next-character prediction on windows of the shipped text (one-hot characters)."""
    vocabulary = characters()
    lookup = {c: i for i, c in enumerate(vocabulary)}
    codes = np.array([lookup[c] for c in text()])
    return _windows(codes, len(vocabulary), samples, steps, rng)


def word_text(samples: int, steps: int, rng: np.random.Generator):
    """Next-word prediction on the shipped text (one-hot words, rare ones as <unk>)."""
    vocabulary = words()
    lookup = {w: i for i, w in enumerate(vocabulary)}
    codes = np.array([lookup.get(w, 0) for w in re.findall(r"[a-z]+|[.,]", text())])
    return _windows(codes, len(vocabulary), samples, steps, rng)


TASKS = {"sine": sine, "mackey_glass": mackey_glass, "adding": adding, "copy": copy_task,
         "parity": parity, "chars": char_text, "words": word_text}


def task_shapes(task: str) -> tuple[int, int]:
    """(input features, target features) of a task, without generating it."""
    if task == "chars":
        return len(characters()), len(characters())
    if task == "words":
        return len(words()), len(words())
    if task == "copy":
        return COPY_SYMBOLS + 2, COPY_SYMBOLS + 2
    return {"sine": (1, 1), "mackey_glass": (1, 1), "adding": (2, 1), "parity": (1, 1)}[task]


def vocabulary(task: str) -> tuple | None:
    """Token strings of a one-hot task (for text views), or None."""
    if task == "chars":
        return tuple(characters())
    if task == "words":
        return words()
    if task == "copy":
        return ("_", *(str(i) for i in range(1, COPY_SYMBOLS + 1)), ">")
    return None
