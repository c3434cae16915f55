"""Ordering: the parts edited with their parent (an entry's interventions, a pathway's reading
notes) and a pathway's entries move up or down, and a new one takes the next place at the
end. Two never claim one place: parts are renumbered by history.restore_parts, and two
entries swap through a parking place, in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from ..history import PARKING_OFFSET

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


def neighbour(obj: models.Model, parent: str, slot: str, direction: str):
    """The sibling just above or below `obj` (same parent), or None at either end."""
    siblings = type(obj).objects.filter(**{parent: getattr(obj, parent)}).exclude(pk=obj.pk)
    if direction == UP:
        return siblings.filter(**{f"{slot}__lt": getattr(obj, slot)}).order_by(f"-{slot}").first()
    return siblings.filter(**{f"{slot}__gt": getattr(obj, slot)}).order_by(slot).first()


def swap_places(first: models.Model, second: models.Model, slot: str, *, user) -> None:
    """Exchanges two siblings' places, each recording a version, without ever putting both
    in one place (the first waits in a parking place meanwhile)."""
    first_place, second_place = getattr(first, slot), getattr(second, slot)
    with transaction.atomic():
        setattr(first, slot, PARKING_OFFSET + first.pk)
        first.save_without_historical_record()
        for obj, place in ((second, first_place), (first, second_place)):
            setattr(obj, slot, place)
            obj._history_user = user
            obj._change_reason = "Swapped places with the entry next to it"
            obj.save()
