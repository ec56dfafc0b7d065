"""The reader's evidence score (``evidence.py``), fitted by ``python -m bench.fit_evidence
--write`` on KorQuAD articles 20-69; one weight per ``evidence.NAMES`` entry."""

EVIDENCE_MODEL: dict = {
    "bias": 1.73417,
    "weights": [0.945083, 1.10722, 1.04209, 0.259117, 0.0777344, 0.327124, 1.05558, -0.308993],
    "mean": [0.48591, 0.549963, 0.519534, 2.4331, 2.03819, 0.458554, 4.40971, 7.82277],
    "scale": [0.344968, 0.368199, 0.358437, 1.75344, 1.69361, 0.498279, 3.22825, 3.36945],
    "threshold": 0.555839,
}
