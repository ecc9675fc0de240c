"""The rows of one database transaction read as one audit entry.

The database's audit triggers add a row per changed table row (action ``row.insert``,
``row.update`` or ``row.delete``; entity = table, entity_id = primary key, details =
``{"before": {...}, "after": {...}}``), and every row carries the transaction's id
(``txid``). :func:`group_by_transaction` joins a service's row with the trigger rows of
its transaction, so the entry reads as the service's sentence with the trigger rows'
field-level changes; trigger rows with no service row in their transaction were
changed outside the program. It takes plain rows, so it works whatever reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mic_desktop.services.admin.audit_sentences import TRIGGER_ACTIONS, FieldChange, field_changes


@dataclass(frozen=True)
class TransactionEntry:
    """A service's row (None: changed outside the program) and its transaction's trigger rows."""

    service_row: Any | None
    trigger_rows: tuple[Any, ...]

    @property
    def first_row(self) -> Any:
        return self.service_row if self.service_row is not None else self.trigger_rows[0]

    @property
    def outside_the_program(self) -> bool:
        return self.service_row is None

    @property
    def outside_sentence(self) -> str:
        """``Changed outside the program: patient 12`` (every row the transaction changed)."""
        records = ", ".join(f"{row.entity} {row.entity_id}" for row in self.trigger_rows)
        return f"Changed outside the program: {records}"

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        """The trigger rows' column changes; the table is named when there are several."""
        tables = {row.entity for row in self.trigger_rows}
        found: list[FieldChange] = []
        for row in self.trigger_rows:
            for change in field_changes(row.details or {}):
                label = f"{row.entity}.{change.field}" if len(tables) > 1 else change.field
                found.append(FieldChange(label, change.before, change.after))
        return tuple(found)


def group_by_transaction(rows: Sequence[Any]) -> list[TransactionEntry]:
    """``rows`` (with ``txid``, ``action``, ``entity``, ``entity_id``, ``details``) as one
    entry per transaction, in the order their first row comes. A row without a txid is an
    entry of its own; a transaction with several service rows gives one entry per service
    row, the trigger rows going with the first."""
    groups: dict[object, list[Any]] = {}
    order: list[object] = []
    for index, row in enumerate(rows):
        key = row.txid if getattr(row, "txid", None) is not None else ("row", index)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(row)
    entries: list[TransactionEntry] = []
    for key in order:
        members = groups[key]
        triggers = tuple(row for row in members if row.action in TRIGGER_ACTIONS)
        services = [row for row in members if row.action not in TRIGGER_ACTIONS]
        if not services:
            entries.append(TransactionEntry(None, triggers))
            continue
        entries.append(TransactionEntry(services[0], triggers))
        entries.extend(TransactionEntry(row, ()) for row in services[1:])
    return entries
