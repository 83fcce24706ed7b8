"""Small SQL building blocks shared by the apps' read modules."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, connections
from django.db.models import IntegerField, QuerySet, Subquery


class RowCount(Subquery):
    """``(SELECT COUNT(*) FROM (rows))``: the number of rows as a column of another query.

    Several counts then cost one round trip, each over its own index. With ``at_most``, counting
    stops after that many rows.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()

    def __init__(self, rows: QuerySet, *, at_most: int | None = None) -> None:
        rows = rows.order_by().values("pk")
        super().__init__(rows if at_most is None else rows[:at_most])


class StudioQuery:
    """A studio's query whose SQL the ORM builds once per process and shape, then runs with new values.

    Building and compiling a query of many subqueries costs far more than running it: Today's counts
    spent a quarter of the page there. ``build(studio, now)`` returns the queryset; ``shape`` holds
    everything else its SQL and constant parameters depend on (the studio's local date, time zone,
    settings). The first call for a shape builds the query twice, for the studio and for a probe with
    another id and time, and keeps the SQL only if the parameters that differ are exactly the studio's
    id and the time: a value derived from them would be frozen, so that shape is built every time.
    """

    PROBE_ID_OFFSET = 1_000_003
    MAX_SHAPES = 256

    def __init__(self, build: Callable[[Any, datetime], QuerySet]) -> None:
        self.build = build
        self.compiled: dict[Hashable, _Compiled] = {}

    def rows(self, studio: Any, now: datetime, *, shape: Hashable) -> list[dict[str, Any]]:
        """The query's rows for ``studio`` at ``now``, as dicts of its selected names."""
        key = (connection.vendor, shape)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self._compile(studio, now)
            if compiled.slots is not None:
                if len(self.compiled) >= self.MAX_SHAPES:
                    self.compiled.clear()
                self.compiled[key] = compiled
        return compiled.run(studio.pk, now)

    def _compile(self, studio: Any, now: datetime) -> _Compiled:
        queryset = self.build(studio, now)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        probe = copy.copy(studio)
        probe.pk = studio.pk + self.PROBE_ID_OFFSET
        probe_now = now + timedelta(microseconds=1)
        probe_queryset = self.build(probe, probe_now)
        probe_sql, probe_params = probe_queryset.query.get_compiler(using=probe_queryset.db).as_sql()
        slots = None
        if probe_sql == sql and len(probe_params) == len(params):
            ops = connections[queryset.db].ops
            slots = _bound_slots(ops, params, probe_params, (studio.pk, now), (probe.pk, probe_now))
        return _Compiled(sql, list(params), slots, compiler, queryset.db)


def _bound_slots(ops: Any, params: Sequence, probe_params: Sequence, values: tuple, probe_values: tuple) -> list | None:
    """Where the studio's id (0) and the time (1) go in ``params``, and how each is adapted; None if unexplained."""
    adapters = (lambda value: value, ops.adapt_datetimefield_value)
    slots = []
    for position, (param, probe_param) in enumerate(zip(params, probe_params, strict=True)):
        if param == probe_param:
            continue
        found = next(
            (
                (position, index, adapt)
                for index in (0, 1)
                for adapt in adapters
                if _adapts(adapt, values[index], param) and _adapts(adapt, probe_values[index], probe_param)
            ),
            None,
        )
        if found is None:
            return None
        slots.append(found)
    return slots


def _adapts(adapt: Callable[[Any], Any], value: Any, param: Any) -> bool:
    try:
        return adapt(value) == param
    except (TypeError, ValueError, AttributeError):
        return False


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: list[tuple[int, int, Callable[[Any], Any]]] | None
    compiler: Any
    using: str

    def run(self, studio_id: int, now: datetime) -> list[dict[str, Any]]:
        params = list(self.params)
        for position, index, adapt in self.slots or ():
            params[position] = adapt((studio_id, now)[index])
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        compiler = self.compiler
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        if converters := compiler.get_converters(fields):
            rows = compiler.apply_converters(rows, converters)
        query = compiler.query
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return [dict(zip(names, row, strict=True)) for row in rows]
