"""Items joined into groups by pairs."""

from __future__ import annotations

from indexing.groups import DisjointSets


def test_joined_items_share_a_group_and_groups_keep_their_first_item_s_order():
    sets = DisjointSets(6)
    sets.join(4, 1)
    sets.join(1, 5)
    sets.join(2, 3)
    assert sets.find(5) == sets.find(4) and sets.find(2) != sets.find(1)
    assert sets.groups() == [[0], [1, 4, 5], [2, 3]]
    assert DisjointSets(0).groups() == []
