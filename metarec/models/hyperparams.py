"""Neural meta-learner: an algorithm's hyperparameters predicted from meta-features.

Good configurations are often multimodal (two quite different ``eps`` both
work), and a regression head trained on the best configurations averages the
modes into a value that may be bad. The model here is therefore a *conditional
score model*: a network ``f(meta-features, algorithm, lambda)`` predicts the ARI
of configuration ``lambda`` on the dataset, trained on every recorded run with a
squared error plus a pairwise ranking loss inside each (dataset, algorithm)
group (so near-best configurations count, weighted by how much better they
are). A prediction maximises ``f`` over a dense candidate set of the
algorithm's space, which picks one mode instead of averaging them.

The number of clusters has its own head: a distribution over k = 2..50 trained
on the number of classes of the known datasets (their ground truth, never the
held-out one's). Configurations enter the score model with ``log(k / k_ref)``,
where ``k_ref`` is the true class count in training and the predicted mode at
prediction time, so that the model learns how far from the class count each
algorithm wants its k.

For the comparison the issue asks for, the same network also has a plain
regression head (the score-weighted mean of the near-best configurations'
encodings, i.e. what a mean-squared-error head converges to):
``predict(..., head="regression")``.

Uncertainty comes from a deep ensemble (``n_members`` networks with different
seeds and validation splits): the spread of their predicted ARI, and the
averaged k distribution gives the k interval. Saved as one torch ``state_dict``
per member plus JSON metadata; loaded with ``weights_only=True``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from metarec.exceptions import described, first_line
from metarec.knowledge import KnowledgeBase, KnowledgeError
from metarec.models._encoding import ConfigEncoder, MetaFeatureScaler
from metarec.models._torchfit import fit_early_stopping, single_thread
from metarec.space import (
    ALGORITHMS,
    K_MAX,
    PREPROCESSING,
    Configuration,
    canonicalize,
    config_hash,
    default_config,
    design,
    k_cap,
)

__all__ = ["K_VALUES", "HyperparameterModel", "HyperparameterPrediction"]

#: Numbers of clusters the k head predicts over.
K_VALUES = np.arange(2, K_MAX + 1)
_K_PARAMS = ("n_clusters", "n_components")


@dataclass
class HyperparameterPrediction:
    """Predicted configuration of one algorithm, with uncertainty and alternatives."""

    algorithm: str
    config: Configuration
    predicted_ari: float
    uncertainty: float
    n_clusters: int
    n_clusters_interval: tuple[int, int]
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    #: "meta-learner" (the score model's own configuration) or "meta-database" (a
    #: known configuration the recommender's ranker scored higher).
    source: str = "meta-learner"
    #: The recommender's ranker score of ``config`` (NaN when not checked by it).
    ranker_score: float = float("nan")
    #: The 80 % interval of ``predicted_ari``, calibrated on held-out errors
    #: (:mod:`metarec.models.calibration`; NaN when none applies).
    interval: tuple[float, float] = (float("nan"), float("nan"))

    def __post_init__(self) -> None:
        self.config = Configuration.from_dict(self.config)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON)."""
        return {
            "algorithm": self.algorithm,
            "config": self.config.to_json(),
            "predicted_ari": self.predicted_ari,
            "uncertainty": self.uncertainty,
            "n_clusters": self.n_clusters,
            "n_clusters_interval": list(self.n_clusters_interval),
            "alternatives": [
                {**a, "config": Configuration.from_dict(a["config"]).to_json()}
                for a in self.alternatives
            ],
            "source": self.source,
            "ranker_score": self.ranker_score,
            "interval": list(self.interval),
        }


def _k_of(config: Mapping[str, Any]) -> int | None:
    params = config["params"]
    for key in _K_PARAMS:
        if key in params:
            return int(params[key])
    return None


def _with_k(config: Mapping[str, Any], k: int) -> dict[str, Any]:
    params = dict(config["params"])
    for key in _K_PARAMS:
        if key in params:
            params[key] = int(k)
    return canonicalize({**config, "params": params})


class _ConfigFeatures:
    """Standardized ConfigEncoder features without the absolute k (NaN -> 0)."""

    def __init__(self) -> None:
        self.encoder = ConfigEncoder()
        self.keep = [i for i, c in enumerate(self.encoder.columns) if c not in ("k", "log_k")]
        self.columns = [self.encoder.columns[i] for i in self.keep]

    def fit(self, configs: Sequence[Mapping[str, Any]]) -> _ConfigFeatures:
        raw = np.vstack([self.encoder.encode(c)[self.keep] for c in configs])
        with warnings.catch_warnings():  # columns of algorithms absent here are all NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            self.mean_ = np.nan_to_num(np.nanmean(raw, axis=0))
            sd = np.nan_to_num(np.nanstd(raw, axis=0))
        self.sd_ = np.where(sd > 0, sd, 1.0)
        return self

    def transform(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        raw = np.vstack([self.encoder.encode(c)[self.keep] for c in configs])
        return np.nan_to_num((raw - self.mean_) / self.sd_)

    def decode(self, vector: np.ndarray, algorithm: str, k: int) -> dict[str, Any]:
        """The configuration a (regressed) feature vector stands for."""
        index = {c: i for i, c in enumerate(self.columns)}
        raw = vector * self.sd_ + self.mean_
        params: dict[str, Any] = {}
        for p in ALGORITHMS[algorithm].params:
            if p.name in _K_PARAMS:
                params[p.name] = int(k)
            elif p.kind == "cat":
                slots = [index[f"{algorithm}.{p.name}={c}"] for c in p.choices]
                params[p.name] = p.choices[int(np.argmax(raw[slots]))]
            else:
                v = float(raw[index[f"{algorithm}.{p.name}"]])
                v = float(np.exp(v)) if p.log else v
                v = min(max(v, p.low), p.high)
                params[p.name] = round(v) if p.kind == "int" else v
        pre = {}
        for p in PREPROCESSING:
            slots = [index[f"{p.name}={c}"] for c in p.choices]
            pre[p.name] = p.choices[int(np.argmax(raw[slots]))]
        return canonicalize({"algorithm": algorithm, "params": params, "preprocessing": pre})


class HyperparameterModel(BaseEstimator):  # type: ignore[misc]
    """Predict an algorithm's hyperparameters and the number of clusters (see module doc).

    Parameters
    ----------
    n_members : int, default=5
        Networks in the deep ensemble.
    hidden : int, default=128
        Hidden layer width.
    epochs : int, default=400
        Maximum full-batch epochs per member.
    patience : int, default=30
        Early stopping: epochs without improvement of the grouped validation loss.
    n_candidates : int, default=48
        Space-filling candidates per algorithm the score is maximised over (the
        known configurations and the default are candidates too).
    random_state : int, default=0
        Seed of initialisation, validation splits and candidates.

    Examples
    --------
    >>> from metarec.knowledge import KnowledgeBase
    >>> from metarec import extract_metafeatures, load_dataset
    >>> model = HyperparameterModel(n_members=1, epochs=5).fit(KnowledgeBase.shipped())
    >>> mf = extract_metafeatures(load_dataset("sklearn:iris"))
    >>> model.predict(mf, "dbscan").config["algorithm"]
    'dbscan'
    """

    def __init__(
        self,
        n_members: int = 5,
        hidden: int = 128,
        epochs: int = 400,
        patience: int = 30,
        n_candidates: int = 48,
        random_state: int = 0,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.epochs = epochs
        self.patience = patience
        self.n_candidates = n_candidates
        self.random_state = random_state

    # ------------------------------------------------------------- inputs
    def _inputs(self, mf: pd.DataFrame) -> np.ndarray:
        x = self.scaler_.transform(mf)
        mask = mf.reindex(columns=self.mask_columns_).isna().to_numpy(dtype=float)
        return np.hstack([x, mask])

    def _net(self, n_in: int, n_cfg: int) -> Any:
        import torch

        h = self.hidden

        class Net(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = torch.nn.Sequential(
                    torch.nn.Linear(n_in, h),
                    torch.nn.ReLU(),
                    torch.nn.Dropout(0.1),
                    torch.nn.Linear(h, 64),
                    torch.nn.ReLU(),
                )
                self.k_head = torch.nn.Linear(64, len(K_VALUES))
                self.score_head = torch.nn.Sequential(
                    torch.nn.Linear(64 + n_cfg + 1, h),
                    torch.nn.ReLU(),
                    torch.nn.Linear(h, 64),
                    torch.nn.ReLU(),
                    torch.nn.Linear(64, 1),
                )
                self.reg_head = torch.nn.Sequential(
                    torch.nn.Linear(64 + len(ALGORITHMS), h),
                    torch.nn.ReLU(),
                    torch.nn.Linear(h, n_cfg),
                )

            def score(self, hd: Any, cfg: Any, kratio: Any) -> Any:
                return self.score_head(torch.cat([hd, cfg, kratio[:, None]], dim=1))[:, 0]

            def regress(self, hd: Any, algo: Any) -> Any:
                return self.reg_head(torch.cat([hd, algo], dim=1))

        return Net()

    # ---------------------------------------------------------------- fit
    def fit(self, kb: KnowledgeBase) -> HyperparameterModel:
        """Train the ensemble on every run of the knowledge base (needs torch:
        ``metarec[train]``)."""
        from metarec.exceptions import require_torch

        require_torch("training the neural meta-learner")

        hashes = kb.dataset_hashes
        if len(hashes) < 5:
            raise KnowledgeError("the hyperparameter model needs runs on at least 5 datasets")
        scores = kb.score_matrix.loc[hashes]
        mf = kb.metafeatures.loc[hashes]
        self.trained_on_ = sorted(hashes)
        self.scaler_ = MetaFeatureScaler().fit(mf)
        self.mask_columns_ = [c for c in mf.columns if mf[c].isna().any()]
        X = self._inputs(mf)
        configs: list[dict[str, Any]] = list(kb.configs.loc[scores.columns, "config"])
        self.features_ = _ConfigFeatures().fit(configs)
        C = self.features_.transform(configs)
        self.known_configs_ = {a: [c for c in configs if c["algorithm"] == a] for a in ALGORITHMS}
        data = self._training_data(kb, hashes, scores, configs, C)
        groups = kb.near_duplicate_groups()
        group_of = np.array([groups[h] for h in hashes])
        with single_thread():
            self.members_ = [
                self._fit_member(X, C, data, group_of, self.random_state + m, m)
                for m in range(self.n_members)
            ]
        self.n_inputs_ = X.shape[1]
        return self

    def _training_data(
        self,
        kb: KnowledgeBase,
        hashes: list[str],
        scores: pd.DataFrame,
        configs: list[dict[str, Any]],
        C: np.ndarray,
    ) -> dict[str, np.ndarray]:
        n_rows = kb.datasets.loc[hashes, "n_rows"].to_numpy(dtype=float)
        classes = kb.datasets.loc[hashes, "n_classes"].to_numpy(dtype=float)
        k_ref = np.clip(np.where(np.isfinite(classes), classes, 2.0), 2, K_MAX)
        s = scores.to_numpy(dtype=float)
        algos = [c["algorithm"] for c in configs]
        algo_index = {a: i for i, a in enumerate(ALGORITHMS)}
        ks = [_k_of(c) for c in configs]
        d_idx, c_idx, y, kratio, group = [], [], [], [], []
        reg_target = np.zeros((len(hashes), len(ALGORITHMS), C.shape[1]))
        reg_mask = np.zeros((len(hashes), len(ALGORITHMS)))
        for i in range(len(hashes)):
            for j, cfg_k in enumerate(ks):
                if not np.isfinite(s[i, j]):
                    continue
                d_idx.append(i)
                c_idx.append(j)
                y.append(s[i, j])
                if cfg_k is None:
                    kratio.append(0.0)
                else:
                    k_eff = min(cfg_k, k_cap(int(n_rows[i])), int(n_rows[i]) - 1)
                    kratio.append(float(np.log(max(k_eff, 1) / k_ref[i])))
                group.append(i * len(ALGORITHMS) + algo_index[algos[j]])
            for a, name in enumerate(ALGORITHMS):
                cols = [j for j, al in enumerate(algos) if al == name and np.isfinite(s[i, j])]
                if not cols:
                    continue
                v = s[i, cols]
                w = np.exp((v - v.max()) / 0.02)  # near-best configurations weighted by score
                reg_target[i, a] = (w[:, None] * C[cols]).sum(axis=0) / w.sum()
                reg_mask[i, a] = 1.0
        k_target = np.exp(-0.5 * ((np.log(K_VALUES)[None, :] - np.log(k_ref)[:, None]) / 0.1) ** 2)
        k_target /= k_target.sum(axis=1, keepdims=True)
        return {
            "d": np.array(d_idx),
            "c": np.array(c_idx),
            "y": np.array(y),
            "kratio": np.array(kratio),
            "group": np.array(group),
            "reg_target": reg_target,
            "reg_mask": reg_mask,
            "k_target": k_target,
        }

    def _fit_member(
        self,
        X: np.ndarray,
        C: np.ndarray,
        data: dict[str, np.ndarray],
        group_of: np.ndarray,
        seed: int,
        member: int = 0,
    ) -> Any:
        import torch

        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        uniq = np.unique(group_of)
        val_groups = rng.choice(uniq, size=max(1, len(uniq) // 5), replace=False)
        is_val = np.isin(group_of, val_groups)
        t = {k: torch.tensor(v, dtype=torch.float32) for k, v in data.items()}
        d = torch.tensor(data["d"], dtype=torch.long)
        c = torch.tensor(data["c"], dtype=torch.long)
        x = torch.tensor(X, dtype=torch.float32)
        cf = torch.tensor(C, dtype=torch.float32)
        pairs = _pairs(data["group"], data["y"])
        row_val = is_val[data["d"]]
        pair_val = row_val[pairs[:, 0]]
        algo_eye = torch.eye(len(ALGORITHMS))
        net = self._net(X.shape[1], C.shape[1])
        opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)

        def loss_of(rows: np.ndarray, prs: np.ndarray, dsets: np.ndarray) -> Any:
            h = net.encoder(x)
            r = torch.tensor(np.flatnonzero(rows))
            pred = net.score(h[d[r]], cf[c[r]], t["kratio"][r])
            full = torch.zeros(len(data["y"]))
            full = full.index_put((r,), pred)
            mse = ((pred - t["y"][r]) ** 2).mean()
            p = torch.tensor(prs)
            margin = full[p[:, 0]] - full[p[:, 1]]
            gap = t["y"][p[:, 0]] - t["y"][p[:, 1]]
            rank = (torch.nn.functional.softplus(-margin / 0.05) * gap).mean()
            ds = torch.tensor(np.flatnonzero(dsets))
            k_loss = -(t["k_target"][ds] * torch.log_softmax(net.k_head(h[ds]), dim=1)).sum(1)
            hr = h[ds].repeat_interleave(len(ALGORITHMS), dim=0)
            reg = net.regress(hr, algo_eye.repeat(len(ds), 1)).view(len(ds), len(ALGORITHMS), -1)
            m = t["reg_mask"][ds]
            reg_loss = (((reg - t["reg_target"][ds]) ** 2).mean(2) * m).sum() / m.sum()
            return mse + rank + 0.3 * k_loss.mean() + 0.3 * reg_loss

        fit_early_stopping(
            net,
            opt,
            lambda: loss_of(~row_val, pairs[~pair_val], ~is_val),
            lambda: loss_of(row_val, pairs[pair_val], is_val),
            self.epochs,
            self.patience,
            desc=f"meta-learner member {member + 1}/{self.n_members}, epochs",
        )
        return net

    # ------------------------------------------------------------ predict
    def predict_k(
        self, metafeatures: pd.Series, n_rows: int | None = None
    ) -> tuple[int, tuple[int, int], np.ndarray]:
        """Predicted number of clusters, its 10-90 % interval and the distribution.

        A loaded model with its ``.k.npz`` layers (and its networks not yet read)
        computes this in numpy, without importing torch; the same numbers either way.
        """
        inputs = self._inputs(metafeatures.to_frame().T).astype(np.float32)
        numpy_members = self._numpy_members()
        if numpy_members is not None:
            p = np.mean([m.k_distribution(inputs) for m in numpy_members], axis=0)
        else:
            import torch

            x = torch.tensor(inputs, dtype=torch.float32)
            with torch.no_grad():
                p = np.mean(
                    [
                        torch.softmax(m.k_head(m.encoder(x)), dim=1).numpy()[0]
                        for m in self.members_
                    ],
                    axis=0,
                )
        n = n_rows if n_rows is not None else _rows_of(metafeatures)
        cap = k_cap(n) if n else K_MAX
        p = np.where(cap >= K_VALUES, p, 0.0)
        p = p / p.sum()
        cum = np.cumsum(p)
        lo = int(K_VALUES[min(int(np.searchsorted(cum, 0.1)), len(p) - 1)])
        hi = int(K_VALUES[min(int(np.searchsorted(cum, 0.9)), len(p) - 1)])
        return int(K_VALUES[int(np.argmax(p))]), (lo, hi), p

    def _base_candidates(self, algorithm: str) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Known, default and space-filling configurations of an algorithm (k aside),
        with their features; computed once per model."""
        cache: dict[str, tuple[list[dict[str, Any]], np.ndarray]]
        cache = self.__dict__.setdefault("_candidate_cache", {})
        if algorithm not in cache:
            base: dict[str, dict[str, Any]] = {}
            default = default_config(algorithm)
            sampled = design(self.n_candidates, self.random_state + 1000, [algorithm])
            for cfg in [*self.known_configs_.get(algorithm, []), default, *sampled]:
                c = _with_k(cfg, 2) if _k_of(cfg) is not None else cfg
                base.setdefault(config_hash(c), c)
            configs = list(base.values())
            cache[algorithm] = (configs, self.features_.transform(configs))
        return cache[algorithm]

    def _candidates(
        self, algorithm: str, k: int, n_rows: int | None
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        base, feats = self._base_candidates(algorithm)
        if not ALGORITHMS[algorithm].uses_k:
            return base, feats
        cap = k_cap(n_rows) if n_rows else K_MAX
        ks = sorted({min(max(2, v), cap) for v in (k - 1, k, k + 1, round(1.5 * k), 2 * k)})
        configs = [_with_k(cfg, kk) for kk in ks for cfg in base]
        return configs, np.tile(feats, (len(ks), 1))  # k is not among the features

    def score_configs(
        self,
        metafeatures: pd.Series,
        configs: Sequence[Mapping[str, Any]],
        k_ref: int,
        features: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and spread of the predicted ARI of configurations."""
        inputs = self._inputs(metafeatures.to_frame().T).astype(np.float32)
        if features is None:
            features = self.features_.transform(list(configs))
        n = _rows_of(metafeatures)
        kr = []
        for cfg in configs:
            k = _k_of(cfg)
            if k is None:
                kr.append(0.0)
            else:
                k_eff = min(k, k_cap(n), n - 1) if n else k
                kr.append(float(np.log(max(k_eff, 1) / k_ref)))
        numpy_members = self._numpy_members()
        if numpy_members is not None:
            cfg_features = np.asarray(features, dtype=np.float32)
            ratio = np.asarray(kr, dtype=np.float32)
            preds = np.stack([m.score(inputs, cfg_features, ratio) for m in numpy_members])
            return preds.mean(axis=0), preds.std(axis=0)
        import torch

        x = torch.tensor(inputs, dtype=torch.float32)
        cf = torch.tensor(features, dtype=torch.float32)
        kratio = torch.tensor(kr, dtype=torch.float32)
        with torch.no_grad():
            preds = np.stack(
                [
                    m.score(m.encoder(x).repeat(len(configs), 1), cf, kratio).numpy()
                    for m in self.members_
                ]
            )
        return preds.mean(axis=0), preds.std(axis=0)

    def predict(
        self,
        metafeatures: pd.Series,
        algorithm: str,
        *,
        head: str = "score",
        n_rows: int | None = None,
    ) -> HyperparameterPrediction:
        """Predicted configuration of ``algorithm`` for a dataset's meta-features.

        ``head="score"`` (default) maximises the score model over candidates;
        ``head="regression"`` decodes the regression head (for comparison).
        """
        if algorithm not in ALGORITHMS:
            raise KnowledgeError(
                f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}"
            )
        n = n_rows if n_rows is not None else _rows_of(metafeatures)
        k, interval, _ = self.predict_k(metafeatures, n)
        if head == "regression":
            import torch

            x = torch.tensor(self._inputs(metafeatures.to_frame().T), dtype=torch.float32)
            onehot = torch.eye(len(ALGORITHMS))[list(ALGORITHMS).index(algorithm)][None, :]
            with torch.no_grad():
                vec = np.mean(
                    [m.regress(m.encoder(x), onehot).numpy()[0] for m in self.members_], 0
                )
            cfg = self.features_.decode(vec, algorithm, k)
            mean, sd = self.score_configs(metafeatures, [cfg], k)
            return HyperparameterPrediction(
                algorithm, Configuration.from_dict(cfg), float(mean[0]), float(sd[0]), k, interval
            )
        if head != "score":
            raise KnowledgeError(f"unknown head {head!r}; use 'score' or 'regression'")
        candidates, feats = self._candidates(algorithm, k, n)
        mean, sd = self.score_configs(metafeatures, candidates, k, feats)
        order = np.argsort(-mean, kind="stable")
        best = order[0]
        alternatives = [
            {"config": candidates[j], "predicted_ari": float(mean[j]), "uncertainty": float(sd[j])}
            for j in order[1:4]
        ]
        return HyperparameterPrediction(
            algorithm,
            Configuration.from_dict(candidates[best]),
            float(mean[best]),
            float(sd[best]),
            k,
            interval,
            alternatives,
        )

    # -------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike[str], name: str = "hyperparams") -> None:
        """Write ``<name>.json`` (settings, trained-on datasets, scalers), one
        ``<name>.<m>.pt`` state_dict per ensemble member, and ``<name>.layers.npz``:
        the layers of the k estimate and of the score model as plain arrays, so that
        :meth:`predict_k` and :meth:`predict` run without importing torch."""
        import torch

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for m, net in enumerate(self.members_):
            torch.save(net.state_dict(), d / f"{name}.{m}.pt")
        # the layers a recommendation uses also as plain arrays: it needs no torch
        np.savez(
            d / f"{name}.layers.npz",
            **{
                f"{m}.{key}": value.detach().numpy()
                for m, net in enumerate(self.members_)
                for key, value in net.state_dict().items()
                if key.split(".")[0] in _NUMPY_LAYERS
            },
        )
        meta = {
            "params": self.get_params(),
            "trained_on": self.trained_on_,
            "mask_columns": self.mask_columns_,
            "n_inputs": self.n_inputs_,
            "config_mean": self.features_.mean_.tolist(),
            "config_sd": self.features_.sd_.tolist(),
        }
        (d / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(
        cls, directory: str | os.PathLike[str], kb: KnowledgeBase, name: str = "hyperparams"
    ) -> HyperparameterModel:
        """Load a saved model over ``kb`` (the knowledge base it was trained on).

        The meta-feature scaler is refitted on the datasets it was trained on;
        weights are read with ``weights_only=True``, on first use.
        """
        d = Path(directory)
        try:
            meta = json.loads((d / f"{name}.json").read_text())
        except (OSError, ValueError) as exc:
            raise KnowledgeError(f"{d}: no trained hyperparameter model ({exc})") from None
        model = cls(**meta["params"])
        known = [h for h in meta["trained_on"] if h in kb.metafeatures.index]
        if not known:
            raise KnowledgeError(f"{d}: its training datasets are not in this knowledge base")
        model.trained_on_ = meta["trained_on"]
        model.scaler_ = MetaFeatureScaler().fit(kb.metafeatures.loc[known])
        model.mask_columns_ = meta["mask_columns"]
        model.n_inputs_ = meta["n_inputs"]
        model.features_ = _ConfigFeatures()
        model.features_.mean_ = np.asarray(meta["config_mean"])
        model.features_.sd_ = np.asarray(meta["config_sd"])
        configs: list[dict[str, Any]] = list(kb.configs["config"])
        model.known_configs_ = {a: [c for c in configs if c["algorithm"] == a] for a in ALGORITHMS}
        model._weights = [d / f"{name}.{m}.pt" for m in range(model.n_members)]
        layers = d / f"{name}.layers.npz"
        model._layers = layers if layers.is_file() else None
        missing = [str(p) for p in model._weights if not p.is_file()]
        if missing:
            raise KnowledgeError(f"{d}: the hyperparameter model lacks {', '.join(missing)}")
        return model

    def _numpy_members(self) -> list[_NumpyMember] | None:
        """The members as numpy networks (from ``.layers.npz``, no pickles) when this
        model was loaded with them and its torch networks are not read yet; else None."""
        if "_members" in self.__dict__ or self.__dict__.get("_layers") is None:
            return None
        if "_numpy" not in self.__dict__:
            try:
                with np.load(self._layers, allow_pickle=False) as data:
                    members: dict[int, dict[str, np.ndarray]] = {}
                    for key in data.files:
                        m, _, layer = key.partition(".")
                        members.setdefault(int(m), {})[layer] = np.asarray(data[key], dtype=float)
                self._numpy = [_NumpyMember(members[m]) for m in sorted(members)]
            except (OSError, ValueError, TypeError, KeyError, EOFError) as exc:
                reason = first_line(exc, 160)
                raise KnowledgeError(
                    f"{self._layers}: the meta-learner's layers cannot be read ({reason}); "
                    f"train the models again with `metarec train --out {self._layers.parent}`"
                ) from None
        return self._numpy  # type: ignore[no-any-return]

    @property
    def members_(self) -> list[Any]:
        """The ensemble's networks; a loaded model reads them (and imports torch)
        on first use, so a recommendation that needs no meta-learner never pays for it."""
        if "_members" not in self.__dict__:
            paths = self.__dict__.get("_weights")
            if paths is None:
                raise AttributeError("members_")  # not fitted: what check_is_fitted expects
            import torch

            nets = []
            for path in paths:
                net = self._net(self.n_inputs_, len(self.features_.columns))
                try:
                    net.load_state_dict(torch.load(path, weights_only=True))
                except Exception as exc:  # torch's errors for a file it refuses: many kinds
                    raise KnowledgeError(
                        f"{path}: the meta-learner's weights cannot be read "
                        f"({described(exc)}); "
                        f"train the models again with `metarec train --out {path.parent}`"
                    ) from None
                net.eval()
                nets.append(net)
            self._members = nets
        return self.__dict__["_members"]  # type: ignore[no-any-return]

    @members_.setter
    def members_(self, nets: list[Any]) -> None:
        self._members = nets


#: The layers saved as plain arrays (the regression head, for comparisons, is not).
_NUMPY_LAYERS = ("encoder", "k_head", "score_head")


def _relu_linear(x: np.ndarray, layers: dict[str, np.ndarray], name: str, relu: bool) -> Any:
    y = x @ layers[f"{name}.weight"].T + layers[f"{name}.bias"]
    return np.maximum(y, 0) if relu else y


class _NumpyMember:
    """One member's encoder, k head and score head in numpy (float32, as in torch;
    dropout off, as in evaluation), from its saved arrays."""

    def __init__(self, layers: dict[str, np.ndarray]) -> None:
        self.layers = layers

    def encoder(self, x: np.ndarray) -> Any:
        h = _relu_linear(x, self.layers, "encoder.0", True)
        return _relu_linear(h, self.layers, "encoder.3", True)

    def k_distribution(self, x: np.ndarray) -> Any:
        logits = _relu_linear(self.encoder(x), self.layers, "k_head", False)[0]
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def score(self, x: np.ndarray, cfg: np.ndarray, kratio: np.ndarray) -> Any:
        h = np.repeat(self.encoder(x), len(cfg), axis=0)
        z = np.hstack([h, cfg, kratio[:, None]]).astype(np.float32)
        z = _relu_linear(z, self.layers, "score_head.0", True)
        z = _relu_linear(z, self.layers, "score_head.2", True)
        return _relu_linear(z, self.layers, "score_head.4", False)[:, 0]


def _rows_of(metafeatures: pd.Series) -> int | None:
    v = metafeatures.get("general.instances", np.nan)
    return int(v) if v is not None and np.isfinite(v) else None


def _pairs(group: np.ndarray, y: np.ndarray, min_gap: float = 0.01) -> np.ndarray:
    """Index pairs (better, worse) of runs in the same (dataset, algorithm) group."""
    out = []
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for part in np.split(order, bounds):
        if len(part) < 2:
            continue
        a, b = np.meshgrid(part, part, indexing="ij")
        keep = y[a] > y[b] + min_gap
        out.append(np.stack([a[keep], b[keep]], axis=1))
    return np.vstack(out) if out else np.zeros((0, 2), dtype=int)
