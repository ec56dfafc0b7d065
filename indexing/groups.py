"""Items joined into groups by pairs: a union-find over item indices (rules that touch, lines
of one display, crossing lines of one grid)."""

from __future__ import annotations


class DisjointSets:
    """Indices ``0..n-1``, each its own group until joined to another."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        """The index standing for ``i``'s group (paths halved on the way)."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(j)] = self.find(i)

    def groups(self) -> list[list[int]]:
        """Each group's indices in increasing order, groups in the order of their first index."""
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return list(out.values())
