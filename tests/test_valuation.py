"""Chapter 43's from-scratch data valuation and attribution against the libraries (fast: small random data).

* exact KNN-Shapley (`knn_shapley`) against pydvl 0.10's exact `KNNShapleyValuation`: the same values to
  1e-12 (skipped where pydvl cannot be imported: pydvl 0.10.0 declares numpy<2 and does not install beside
  the course's pinned numpy, see nbs/43_valuation.ipynb §2);
* cleanlab's `data_shapley_knn` reproduced from our exact values (`cleanlab_knn_values`) to 1e-12;
* TracIn (`tracin`) against captum's `TracInCP`: the same score matrix to 1e-9 of its largest entry.
The notebook's own test cells check the same on the real pool, and the recursion against brute-force Shapley."""
import os, warnings
os.environ.setdefault("DSEL_MODE", "ci")
import numpy as np
import pytest
from dsel_course.selection.valuation import knn_shapley, cleanlab_knn_values, train_head, head_proba, tracin, tracin_captum


def data(seed, n=120, m=40, d=6, K=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n + m, d)); y = (X[:, :K] + 0.7 * rng.normal(size=(n + m, K))).argmax(1)
    return X[:n], y[:n], X[n:], y[n:]


@pytest.mark.parametrize("k", [1, 5, 10, 30])
def test_knn_shapley_matches_pydvl(k):
    pytest.importorskip("pydvl.valuation.methods.knn_shapley", reason="pydvl 0.10 needs numpy<2; the course pins numpy 2")
    from pydvl.valuation.methods.knn_shapley import KNNShapleyValuation
    from pydvl.valuation.dataset import Dataset
    from sklearn.neighbors import KNeighborsClassifier
    Xtr, ytr, Xte, yte = data(k)
    val = KNNShapleyValuation(KNeighborsClassifier(n_neighbors=k), test_data=Dataset(Xte, yte), progress=False).fit(Dataset(Xtr, ytr))
    res = val.result
    theirs = np.empty(len(ytr)); theirs[np.asarray(res.indices)] = res.values
    np.testing.assert_allclose(knn_shapley(Xtr, ytr, Xte, yte, k), theirs, atol=1e-12)


@pytest.mark.parametrize("k", [1, 5, 10])
def test_cleanlab_convention(k):
    from cleanlab.data_valuation import data_shapley_knn
    X, y, _, _ = data(10 + k)
    np.testing.assert_allclose(cleanlab_knn_values(X, y, k), data_shapley_knn(y, features=X, k=k, metric="euclidean"), atol=1e-12)


def test_tracin_matches_captum(tmp_path):
    Xtr, ytr, Xte, _ = data(7, n=150, m=5)
    W, b, ck = train_head(Xtr, ytr, steps=40, save_every=10)
    yhat = head_proba(W, b, Xte).argmax(1)
    ours = tracin(ck, Xtr, ytr, Xte, yhat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = tracin_captum(ck, Xtr, ytr, Xte, yhat, str(tmp_path))
    assert np.abs(ours - theirs).max() <= 1e-9 * np.abs(theirs).max()
    for i in range(len(Xte)): assert set(np.argsort(-ours[i])[:10]) == set(np.argsort(-theirs[i])[:10])
