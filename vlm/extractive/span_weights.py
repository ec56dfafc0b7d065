"""Weights of the paragraph span scorer, one per ``span_features.NAMES`` entry.

``SPAN_WEIGHTS`` were fitted by ``python -m bench.fit_span_weights --write`` (KorQuAD articles
20-69); rerun it after changing the features. ``HAND_WEIGHTS`` are the
hand-set weights the reader used before, kept as the baseline the fit is compared with.
"""

SPAN_WEIGHTS: tuple[float, ...] = (
    +4.0415,  # coverage
    +3.2242,  # type_fit
    +3.9217,  # closeness
    -3.2330,  # question_overlap
    -0.4409,  # extra_words
    +0.2992,  # ends_on_head
    +4.0169,  # unit_fit
    +4.0417,  # particle_fit
    +4.0155,  # names_figure
    -0.4924,  # phrase_goes_on_left
    -0.5712,  # phrase_goes_on_right
    -0.0002,  # glued_on_left
    -0.4191,  # in_parentheses
    -0.1034,  # hanja_share
    +0.1542,  # latin_share
    +0.1747,  # followed_by_JX
    +0.0905,  # followed_by_JKS
    +0.1587,  # followed_by_JKO
    -0.2800,  # followed_by_JKG
    +0.1344,  # followed_by_JKB
    -0.1058,  # followed_by_JC
    +0.5621,  # followed_by_VCP
    +0.0000,  # followed_by_JKQ
    +0.7949,  # near_term_left
    +0.3190,  # near_term_right
    +0.0168,  # term_just_left
    -0.0411,  # term_just_right
    +0.0270,  # repeats_in_text
    +0.2104,  # words
    +0.0488,  # opens_sentence
    -0.3782,  # neighbour_sentence
    +0.0990,  # coverage_vs_best
    +0.1637,  # syllables
    +0.3782,  # best_sentence
    +0.3869,  # kind_quantity
    +0.1878,  # kind_entity
    -0.7379,  # kind_noun
    +0.1812,  # kind_quoted
    +0.0000,  # kind_reason
    +0.1081,  # kind_numbered
    -0.1261,  # kind_dated
)

HAND_WEIGHTS: tuple[float, ...] = (
    +1.0000,  # coverage
    +0.8000,  # type_fit
    +0.9000,  # closeness
    -0.8000,  # question_overlap
    -0.0800,  # extra_words
    +0.1200,  # ends_on_head
    +1.0000,  # unit_fit
    +1.0000,  # particle_fit
    +1.0000,  # names_figure
    +0.0000,  # phrase_goes_on_left
    +0.0000,  # phrase_goes_on_right
    +0.0000,  # glued_on_left
    +0.0000,  # in_parentheses
    +0.0000,  # hanja_share
    +0.0000,  # latin_share
    +0.0000,  # followed_by_JX
    +0.0000,  # followed_by_JKS
    +0.0000,  # followed_by_JKO
    +0.0000,  # followed_by_JKG
    +0.0000,  # followed_by_JKB
    +0.0000,  # followed_by_JC
    +0.0000,  # followed_by_VCP
    +0.0000,  # followed_by_JKQ
    +0.0000,  # near_term_left
    +0.0000,  # near_term_right
    +0.0000,  # term_just_left
    +0.0000,  # term_just_right
    +0.0000,  # repeats_in_text
    +0.0000,  # words
    +0.0000,  # opens_sentence
    +0.0000,  # neighbour_sentence
    +0.0000,  # coverage_vs_best
    +0.0000,  # syllables
    +0.0000,  # best_sentence
    +0.0000,  # kind_quantity
    +0.0000,  # kind_entity
    +0.0000,  # kind_noun
    +0.0000,  # kind_quoted
    +0.0000,  # kind_reason
    +0.0000,  # kind_numbered
    +0.0000,  # kind_dated
)
