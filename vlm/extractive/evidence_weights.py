"""The reader's evidence score (``evidence.py``), fitted by ``python -m bench.fit_evidence
--write`` on KorQuAD articles 20-69; one weight per ``evidence.NAMES`` entry."""

EVIDENCE_MODEL: dict = {
    "bias": 1.73373,
    "weights": [0.954098, 1.11255, 1.05154, 0.252462, 0.0314241, 0.340359, 1.06056, -0.319802],
    "mean": [0.485284, 0.54944, 0.518851, 2.31564, 1.99945, 0.457689, 4.41468, 7.83469],
    "scale": [0.344832, 0.368061, 0.358216, 1.75053, 1.69414, 0.498207, 3.23076, 3.36759],
    "threshold": 0.542421,
}
