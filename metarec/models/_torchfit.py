"""Shared training loop of metarec's small torch models: full batch, early stopping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["fit_early_stopping", "single_thread"]


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread (tiny matrices: more threads only add overhead)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def fit_early_stopping(
    net: Any,
    optimizer: Any,
    train_loss: Callable[[], Any],
    val_loss: Callable[[], Any],
    epochs: int,
    patience: int,
    desc: str = "epochs",
) -> tuple[float, list[tuple[float, float]]]:
    """Full-batch training; keeps the weights of the best validation loss.

    Stops after ``patience`` epochs without a validation improvement; leaves
    ``net`` in eval mode with its best weights. Returns the best validation loss
    and the (train, validation) loss of every epoch.

    Parameters
    ----------
    net : torch.nn.Module
    optimizer : torch.optim.Optimizer
    train_loss, val_loss : callable
        Return the training and validation losses (tensors) of the whole batch.
    epochs : int
    patience : int
    desc : str, default="epochs"
        The label of the epoch bar shown when progress is reported
        (:mod:`metarec.progress`).

    Returns
    -------
    float, list of (float, float)
    """
    import torch

    from metarec import progress

    best, best_state, wait = float("inf"), None, 0
    history: list[tuple[float, float]] = []
    for _ in progress.bar(range(epochs), desc, unit="epoch"):
        net.train()
        optimizer.zero_grad()
        loss = train_loss()
        loss.backward()
        optimizer.step()
        net.eval()
        with torch.no_grad():
            val = float(val_loss())
        history.append((float(loss.detach()), val))
        if val < best - 1e-5:
            best, wait = val, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            wait += 1
            if wait >= patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return best, history
