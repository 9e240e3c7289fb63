"""Estimators that misbehave, for runner tests (importable by the runner's child process)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np


class Raises:
    """fit_predict raises."""

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        raise ValueError("this algorithm always fails")


class Hangs:
    """fit_predict never returns."""

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        while True:
            time.sleep(1)


class EatsMemory:
    """fit_predict allocates without bound."""

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        hoard: list[Any] = []
        while True:
            hoard.append(np.ones(50_000_000))


class Crashes:
    """fit_predict kills its own process (as a segfaulting extension would)."""

    def fit_predict(self, X: np.ndarray) -> np.ndarray:
        os.kill(os.getpid(), signal.SIGSEGV)
        return np.zeros(len(X))
