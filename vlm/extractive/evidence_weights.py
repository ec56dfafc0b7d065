"""The reader's evidence score (``evidence.py``), fitted by ``python -m bench.fit_evidence
--write`` on KorQuAD articles 20-69; one weight per ``evidence.NAMES`` entry."""

EVIDENCE_MODEL: dict = {
    "bias": 1.74272,
    "weights": [0.946178, 1.10962, 1.04858, 0.275401, 0.0946667, 0.330849, 1.05945, -0.313572],
    "mean": [0.485171, 0.549328, 0.518726, 2.44204, 2.07478, 0.457689, 4.41496, 7.83778],
    "scale": [0.344744, 0.367974, 0.358114, 1.77601, 1.69295, 0.498207, 3.23094, 3.36837],
    "threshold": 0.553371,
}
