"""Does a paragraph answer the question at all? A fitted score of the reader's evidence.

The reader used to refuse a paragraph when its best sentence covered less than 35% of the
question's weighted terms. Coverage alone confuses two cases: a paragraph that states the
answer in words the question paraphrases (low coverage, answerable) and a paragraph of the
same article that shares its names but not its fact (fair coverage, not answerable). The
score here also weighs how much of the question the whole paragraph and the best pair of
adjacent sentences hold, whether the sentence holds the question's focus predicate, how many
terms it matched, and how sure the span ranker is of its best candidate (its score and margin).
The logistic weights and the threshold are fitted by ``bench/fit_evidence.py`` on KorQuAD
articles 20-69 (the gold paragraph against another paragraph of the same article); rerun it
after refitting the span scorer. The threshold that answers is chosen end to end
(``ANSWER_THRESHOLD``).
"""

from __future__ import annotations

import math

from vlm.extractive.evidence_weights import EVIDENCE_MODEL
from vlm.extractive.matching import Match, match_terms
from vlm.extractive.morph import Sentence
from vlm.extractive.question import Question

NAMES = ("sentence_coverage", "paragraph_coverage", "pair_coverage", "best_score", "score_margin",
         "focus_matched", "terms_matched", "question_terms")


def evidence_features(q: Question, units: list[tuple[Sentence, list]], weights: dict[str, float],
                      best: tuple[float, Match], scores: list[float]) -> list[float]:
    """The features of ``NAMES`` for a paragraph: ``best`` is its best sentence's (coverage,
    match), ``scores`` the rank scores of its span candidates."""
    coverage, match = best
    paragraph = match_terms(weights, [h for _, hits in units for h in hits]).coverage
    pairs = max((match_terms(weights, units[i][1] + units[i + 1][1]).coverage
                 for i in range(len(units) - 1)), default=coverage)
    ordered = sorted(scores, reverse=True)
    top = ordered[0] if ordered else -10.0
    margin = ordered[0] - ordered[1] if len(ordered) > 1 else 2.0
    focus = float(bool(q.focus) and q.focus in match.positions)
    return [coverage, paragraph, max(pairs, coverage), top, margin, focus,
            float(len(match.matched)), float(len(weights))]


def evidence_probability(features: list[float]) -> float:
    """The fitted probability that the paragraph answers the question."""
    z = EVIDENCE_MODEL["bias"] + sum(
        w * (x - mu) / sd for x, w, mu, sd in zip(features, EVIDENCE_MODEL["weights"], EVIDENCE_MODEL["mean"],
                                                  EVIDENCE_MODEL["scale"], strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


# The score a paragraph's reading must pass to be answered. The fit's own threshold
# (EVIDENCE_MODEL["threshold"]) answers other paragraphs of an article no more often than the
# old coverage floor did, and so refuses answerable questions to spare guesses. Weighed end to
# end (bench/evidence_threshold.py: answers on the development articles against guesses on
# questions a collection cannot answer), this is the lowest threshold measured that still
# refuses at least 98% of the latter.
ANSWER_THRESHOLD = 0.45


def answers(features: list[float]) -> bool:
    """Whether the fitted score passes ``ANSWER_THRESHOLD``."""
    return evidence_probability(features) > ANSWER_THRESHOLD
