"""Train on synthetic, test on real (paper section 4.2.3, Table 4) with the paper's six classifiers.

Each object is a feature vector (:mod:`kegan.evaluate.features`) labelled with its category. The
classifiers (scikit-learn, settings fixed here and in docs/evaluate.md):

- ``SVM``: StandardScaler + LinearSVC(C=1.0, max_iter=10000)
- ``kNN``: StandardScaler + KNeighborsClassifier(n_neighbors=5, or fewer if training has fewer objects)
- ``LR``: StandardScaler + LogisticRegression(C=1.0, max_iter=5000)
- ``RF``: RandomForestClassifier(n_estimators=200, n_jobs=1)
- ``MLP``: StandardScaler + MLPClassifier(hidden_layer_sizes=(64,), max_iter=500)
- ``NB``: MultinomialNB(alpha=1.0) on the raw non-negative features

Every random state is ``seed``. Scores are on the test objects: accuracy, and macro-F1 over the
test set's categories (a category the training data lacks scores F1 = 0, so it weighs on the mean).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.naive_bayes import MultinomialNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from ..dataset.format import Dataset
from ..errors import DataError
from .features import object_features

# name -> factory(seed, n_train) -> unfitted classifier; order is the paper's Table 4
CLASSIFIERS: dict[str, Callable[[int, int], ClassifierMixin]] = {
    "SVM": lambda seed, n: make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=10000, random_state=seed)),
    "kNN": lambda seed, n: make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=min(5, n))),
    "LR": lambda seed, n: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000, random_state=seed)),
    "RF": lambda seed, n: RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=seed),
    "MLP": lambda seed, n: make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=seed)
    ),
    "NB": lambda seed, n: MultinomialNB(alpha=1.0),
}


def tstr(train: Dataset, test: Dataset, seed: int = 0) -> dict[str, dict[str, float]]:
    """Fit each classifier on ``train``'s objects, score it on ``test``'s.

    Returns ``{classifier: {"accuracy": float, "macro_f1": float}}`` for the keys of CLASSIFIERS.
    When ``train`` holds a single category every classifier degenerates to predicting it.
    Raises DataError when either dataset has no objects.
    """
    if len(train) == 0 or len(test) == 0:
        raise DataError(f"TSTR needs objects on both sides: train has {len(train)}, test has {len(test)}")
    x_train, y_train = object_features(train), np.array(train.categories)
    x_test, y_test = object_features(test), np.array(test.categories)
    labels = sorted(set(y_test.tolist()))
    out = {}
    for name, make in CLASSIFIERS.items():
        if len(set(y_train.tolist())) == 1:
            pred = np.full(len(y_test), y_train[0])
        else:
            clf = make(int(seed), len(y_train))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(x_train, y_train)
                pred = clf.predict(x_test)
        out[name] = {
            "accuracy": float(accuracy_score(y_test, pred)),
            "macro_f1": float(f1_score(y_test, pred, labels=labels, average="macro", zero_division=0)),
        }
    return out


def ratios(synthetic: dict[str, dict[str, float]], real: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Per classifier and score, synthetic / real (None where the real score is 0)."""
    return {
        name: {k: (synthetic[name][k] / v if v > 0 else None) for k, v in real[name].items()}
        for name in real
        if name in synthetic
    }
