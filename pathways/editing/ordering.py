"""Ordering the parts edited with their parent (an entry's interventions, a pathway's reading
notes): move one up or down, and give a new one the next place at the end. Positions are
never typed, so two parts never claim one place; history.restore_parts renumbers in one go."""

from __future__ import annotations

from typing import Any

UP, DOWN = "up", "down"


def moved(rows: list[dict[str, Any]], slot: str, part_id: int, direction: str) -> list[dict]:
    """The parts with `part_id` swapped with its neighbour above or below (same list if it is
    already first or last). Each row keeps its id; only the two places are exchanged."""
    rows = sorted(rows, key=lambda row: row[slot])
    index = next(i for i, row in enumerate(rows) if row["id"] == part_id)
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(rows):
        return rows
    rows = [dict(row) for row in rows]
    rows[index][slot], rows[other][slot] = rows[other][slot], rows[index][slot]
    return sorted(rows, key=lambda row: row[slot])


def next_place(taken) -> int:
    """After the last place taken: a new part goes at the end."""
    return max(taken, default=0) + 1
