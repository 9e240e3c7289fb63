"""A learned task-similarity metric: datasets close in the embedding behave alike.

Two datasets are alike when the same configurations do well on both: the
target similarity of datasets *i* and *j* is the Spearman correlation of their
ARI over all configurations run on both. A small MLP embeds scaled
meta-features; it is trained with a listwise loss: for every anchor dataset,
the softmax over negative squared embedding distances to the other datasets
should match the softmax of their target similarities (KL divergence). Early
stopping uses a validation split grouped by near-duplicate group.

Saved as a torch ``state_dict`` (loaded with ``weights_only=True``) plus JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from metarec.models._torchfit import fit_early_stopping, single_thread

__all__ = ["SimilarityModel", "target_similarity"]


def target_similarity(scores: pd.DataFrame, min_common: int = 10) -> np.ndarray:
    """Spearman correlation of configuration scores between every pair of datasets.

    Parameters
    ----------
    scores : DataFrame
        Datasets x configurations.
    min_common : int
        Fewest configurations both datasets must have scores for (else NaN).

    Returns
    -------
    ndarray of shape (n_datasets, n_datasets)
    """
    ranks = scores.rank(axis=1).to_numpy(dtype=float)
    n = ranks.shape[0]
    out = np.zeros((n, n))
    valid = np.isfinite(ranks)
    for i in range(n):
        for j in range(i, n):
            both = valid[i] & valid[j]
            if both.sum() < min_common:
                continue
            a, b = ranks[i, both], ranks[j, both]
            if a.std() == 0 or b.std() == 0:
                continue
            r = float(np.corrcoef(a, b)[0, 1])
            out[i, j] = out[j, i] = r
    np.fill_diagonal(out, 1.0)
    return out


class SimilarityModel:
    """Embedding of scaled meta-features trained to reflect configuration-score similarity.

    Parameters
    ----------
    dim : int, default=16
        Embedding size.
    hidden : int, default=128
        Hidden layer width.
    temperature : float, default=0.1
        Softness of the target distribution over neighbours.
    epochs : int, default=400
        Maximum full-batch epochs.
    patience : int, default=40
        Early-stopping patience (epochs without validation improvement).
    random_state : int, default=0
        Seed of initialization and the validation split.
    """

    def __init__(
        self,
        dim: int = 16,
        hidden: int = 128,
        temperature: float = 0.1,
        epochs: int = 400,
        patience: int = 40,
        weight_decay: float = 1e-3,
        random_state: int = 0,
    ) -> None:
        self.dim = dim
        self.hidden = hidden
        self.temperature = temperature
        self.epochs = epochs
        self.patience = patience
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _net(self, n_in: int) -> Any:
        import torch

        return torch.nn.Sequential(
            torch.nn.Linear(n_in, self.hidden),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.1),
            torch.nn.Linear(self.hidden, self.hidden // 2),
            torch.nn.ReLU(),
            torch.nn.Linear(self.hidden // 2, self.dim),
        )

    def fit(self, X: np.ndarray, scores: pd.DataFrame, groups: np.ndarray) -> SimilarityModel:
        """Train on scaled meta-features ``X`` (rows aligned with ``scores``' datasets;
        needs torch: ``metarec[train]``)."""
        from metarec.exceptions import require_torch

        require_torch("training the learned similarity metric")
        with single_thread():
            return self._fit(X, scores, groups)

    def _fit(self, X: np.ndarray, scores: pd.DataFrame, groups: np.ndarray) -> SimilarityModel:
        import torch

        torch.manual_seed(self.random_state)
        target = torch.tensor(target_similarity(scores), dtype=torch.float32)
        x = torch.tensor(X, dtype=torch.float32)
        rng = np.random.default_rng(self.random_state)
        uniq = np.unique(groups)
        val_groups = set(rng.choice(uniq, size=max(1, len(uniq) // 5), replace=False).tolist())
        is_val = np.array([g in val_groups for g in groups])
        train_idx = torch.tensor(np.flatnonzero(~is_val))
        val_idx = torch.tensor(np.flatnonzero(is_val))
        net = self._net(X.shape[1])
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=self.weight_decay)
        # Validation anchors rank training datasets (as at recommendation time).
        best, self.history_ = fit_early_stopping(
            net,
            opt,
            lambda: self._loss(net(x), target, train_idx, train_idx),
            lambda: self._loss(net(x), target, val_idx, train_idx),
            self.epochs,
            self.patience,
            desc="learned similarity, epochs",
        )
        self.net_ = net
        self.n_features_in_ = X.shape[1]
        self.best_val_loss_ = best
        return self

    def _loss(self, emb: Any, target: Any, anchors: Any, pool: Any) -> Any:
        import torch

        e_a, e_p = emb[anchors], emb[pool]
        d = torch.cdist(e_a, e_p) ** 2
        mask = anchors[:, None] == pool[None, :]
        logits = (-d).masked_fill(mask, -1e9)
        t = (target[anchors][:, pool] / self.temperature).masked_fill(mask, -1e9)
        p = torch.softmax(t, dim=1)
        log_q = torch.log_softmax(logits, dim=1)
        return torch.nn.functional.kl_div(log_q, p, reduction="batchmean")

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Embeddings of scaled meta-feature rows."""
        import torch

        with torch.no_grad():
            return self.net_(torch.tensor(np.asarray(X), dtype=torch.float32)).numpy()

    # ---------------------------------------------------------- persistence
    def save(self, directory: str | Path, name: str = "similarity") -> None:
        """Write ``<name>.pt`` (state_dict) and ``<name>.json`` (settings)."""
        import torch

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        torch.save(self.net_.state_dict(), d / f"{name}.pt")
        meta = {
            "dim": self.dim,
            "hidden": self.hidden,
            "temperature": self.temperature,
            "n_features_in": self.n_features_in_,
            "best_val_loss": self.best_val_loss_,
            "random_state": self.random_state,
        }
        (d / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path, name: str = "similarity") -> SimilarityModel:
        """Load a saved model (weights read with ``weights_only=True``)."""
        from metarec.exceptions import require_torch

        require_torch("these models' learned similarity metric")
        import torch

        d = Path(directory)
        meta = json.loads((d / f"{name}.json").read_text())
        model = cls(
            dim=meta["dim"],
            hidden=meta["hidden"],
            temperature=meta["temperature"],
            random_state=meta["random_state"],
        )
        net = model._net(meta["n_features_in"])
        net.load_state_dict(torch.load(d / f"{name}.pt", weights_only=True))
        net.eval()
        model.net_ = net
        model.n_features_in_ = meta["n_features_in"]
        model.best_val_loss_ = meta["best_val_loss"]
        return model
