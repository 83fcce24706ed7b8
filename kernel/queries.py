"""Small SQL building blocks shared by the apps' read modules."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import CharField, DateTimeField, Func, IntegerField, QuerySet, Subquery
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler


class MonthDay(Func):
    """``'MM-DD'`` of a date, or of a datetime's UTC date, in native SQL on both backends.

    Immutable on PostgreSQL (``EXTRACT`` from a date or a UTC timestamp, where ``to_char`` is only
    stable), so a generated column can store it.
    """

    output_field = CharField(max_length=5)
    arity = 1

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        (source,) = self.get_source_expressions()
        sql, params = compiler.compile(source)
        if isinstance(source.output_field, DateTimeField):
            sql = f"({sql} AT TIME ZONE 'UTC')"
        month, day = (f"lpad(EXTRACT({part} FROM {sql})::integer::text, 2, '0')" for part in ("MONTH", "DAY"))
        return f"({month} || '-' || {day})", [*params, *params]

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        # Dates are stored as 'YYYY-MM-DD', datetimes in UTC as 'YYYY-MM-DD HH:MM:SS…'.
        return super().as_sql(compiler, connection, template="substr(%(expressions)s, 6, 5)", **extra_context)


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

    Building and compiling a query costs far more than running it on an index: most of Today's time
    went there. ``build(studio, now)`` returns the queryset (model instances or ``values()`` dicts),
    or None when there is nothing to ask; ``shape`` holds everything else its SQL and constant
    parameters depend on (the studio's local date, time zone, settings). The first call for a shape
    builds the query twice, for the studio and for a probe with another id and time, and keeps the SQL
    only if the parameters that differ are exactly the studio's id and the time: a value derived from
    them would be frozen, so such a shape is built again on every call.
    """

    PROBE_ID_OFFSET = 1_000_003
    MAX_SHAPES = 256

    def __init__(self, build: Callable[[Any, datetime], QuerySet | None]) -> None:
        self.build = build
        self.compiled: dict[Hashable, _StudioSQL] = {}

    def rows(self, studio: Any, now: datetime, *, shape: Hashable, args: tuple = ()) -> list[Any]:
        """The query's rows for ``studio`` at ``now``: model instances, or dicts for a ``values()`` query.

        ``args`` go to ``build`` after the studio and the time, and count as part of the shape.
        """
        key = (connection.vendor, shape, args)
        compiled = self.compiled.get(key)
        if compiled is None:
            compiled = self._compile(studio, now, args)
            if compiled.slots is not None:
                if len(self.compiled) >= self.MAX_SHAPES:
                    self.compiled.clear()
                self.compiled[key] = compiled
        return compiled.run(studio.pk, now)

    def _compile(self, studio: Any, now: datetime, args: tuple) -> _StudioSQL:
        queryset = self.build(studio, now, *args)
        probe = copy.copy(studio)
        probe.pk = studio.pk + self.PROBE_ID_OFFSET
        probe_now = now + timedelta(microseconds=1)
        probe_queryset = self.build(probe, probe_now, *args)
        if queryset is None:
            return _StudioSQL(None, [], [] if probe_queryset is None else None)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = _as_sql(compiler)
        probe_sql, probe_params = None, ()
        if probe_queryset is not None:
            probe_sql, probe_params = _as_sql(probe_queryset.query.get_compiler(using=probe_queryset.db))
        slots = None
        if probe_queryset is not None and probe_sql == sql and len(probe_params) == len(params):
            ops = connections[queryset.db].ops
            slots = _bound_slots(ops, params, probe_params, (studio.pk, now), (probe.pk, probe_now))
        if sql is None:
            return _StudioSQL(None, [], slots)
        return _StudioSQL(sql, list(params), slots, _Reader(compiler, queryset))


def _as_sql(compiler: Any) -> tuple[str | None, tuple]:
    try:
        return compiler.as_sql()
    except EmptyResultSet:  # a condition no row can meet, such as an empty ``__in``
        return None, ()


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


class _Reader:
    """Turns a compiled query's raw rows into what iterating its queryset gives (``ModelIterable``, dicts)."""

    def __init__(self, compiler: Any, queryset: QuerySet) -> None:
        self.compiler = compiler
        self.using = queryset.db
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.as_models = queryset._iterable_class is ModelIterable
        if self.as_models:
            klass_info, select = compiler.klass_info, compiler.select
            self.model = klass_info["model"]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.model_columns = slice(start, end)
            self.init_list = [column[0].target.attname for column in select[start:end]]
            self.related_populators = get_related_populators(klass_info, select, self.using)
            self.annotation_col_map = compiler.annotation_col_map or {}
        else:
            query = compiler.query
            self.names = [*query.extra_select, *query.values_select, *query.annotation_select]

    def read(self, rows: list[tuple]) -> list[Any]:
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        if not self.as_models:
            return [dict(zip(self.names, row, strict=True)) for row in rows]
        objects = []
        for row in rows:
            obj = self.model.from_db(self.using, self.init_list, row[self.model_columns])
            for populator in self.related_populators:
                populator.populate(row, obj)
            for name, position in self.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


@dataclass
class _StudioSQL:
    sql: str | None  # None: no row can match
    params: list
    slots: list[tuple[int, int, Callable[[Any], Any]]] | None
    reader: _Reader | None = None

    def run(self, studio_id: int, now: datetime) -> list[Any]:
        if self.sql is None or self.reader is None:
            return []
        params = list(self.params)
        for position, index, adapt in self.slots or ():
            params[position] = adapt((studio_id, now)[index])
        with connections[self.reader.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return self.reader.read(rows)


_LARGEST_ID = 2**63 - 1
_ID_MARK = 7_012_345_678_900  # ids no table holds: where they land in the compiled parameters, the real ids go


@dataclass(frozen=True)
class _PreparedSQL:
    sql: str
    params: list[Any]  # each a constant, or the name of an id in `slots`
    slots: list[str | None]  # per parameter: the id's name, or None for a constant
    rows: Callable[[list[tuple]], list[Any]]  # the fetched rows as instances or tuples


class Prepared:
    """A read whose SQL is built and compiled once per process; each call only binds its ids.

    Building and compiling a queryset costs several times what running it does for the small
    indexed reads of a page. ``build`` takes integer ids by keyword and returns a queryset of model
    rows (``select_related`` allowed, not ``prefetch_related``) or of ``values_list`` tuples. It must
    depend on nothing but those ids (no clock, no language, no setting): its SQL serves every later
    call. Studio scoping stays a bound parameter like any other id.
    """

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple, _PreparedSQL] = {}

    def __call__(self, **ids: int) -> list[Any]:
        """The rows for these ids; none for an id no column holds (past 64 bits), as the ORM answers such a lookup."""
        ids = {name: int(value) for name, value in ids.items()}
        if any(not -_LARGEST_ID <= value <= _LARGEST_ID for value in ids.values()):
            return []
        key = (connection.vendor, connection.alias, *sorted(ids))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(sorted(ids))
        slots = zip(compiled.params, compiled.slots, strict=True)
        params = [value if name is None else ids[name] for value, name in slots]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled.rows(rows)

    def _compile(self, names: list[str]) -> _PreparedSQL:
        queryset = self.build(**{name: _ID_MARK + index for index, name in enumerate(names)})
        if queryset.db != connection.alias or queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("Prepared reads the default database, without prefetches or related managers.")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = [
            names[param - _ID_MARK] if type(param) is int and 0 <= param - _ID_MARK < len(names) else None
            for param in params
        ]
        if missing := set(names) - set(slots):
            raise ValueError(f"The query does not use {sorted(missing)}.")
        if queryset._iterable_class is ModelIterable:
            rows = _model_rows(compiler, queryset.db)
        elif queryset._iterable_class in (ValuesListIterable, FlatValuesListIterable) and not _reordered(queryset):
            flat = queryset._iterable_class is FlatValuesListIterable
            rows = _tuple_rows(compiler, flat=flat)
        else:
            raise TypeError("Prepared returns model rows or values_list() tuples.")
        return _PreparedSQL(sql, list(params), slots, rows)


def _reordered(queryset: QuerySet) -> bool:
    """values_list() names its columns in another order than the SQL selects them (ValuesListIterable reorders)."""
    query = queryset.query
    selected = [*query.extra_select, *query.values_select, *query.annotation_select]
    named = [*queryset._fields, *(name for name in query.annotation_select if name not in queryset._fields)]
    return bool(queryset._fields) and named != selected


def _converter(compiler: SQLCompiler) -> Callable[[list[tuple]], Iterator[tuple] | list[tuple]]:
    """The rows as the ORM would read them: dates, booleans, decimals… converted as the backend needs."""
    converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
    if not converters:
        return lambda rows: rows
    return lambda rows: compiler.apply_converters(rows, converters)


def _model_rows(compiler: SQLCompiler, db: str) -> Callable[[list[tuple]], list[Any]]:
    """As `django.db.models.query.ModelIterable` builds instances, select_related and annotations included."""
    model = compiler.klass_info["model"]
    fields = compiler.klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    names = [column[0].target.attname for column in compiler.select[start:end]]
    related = get_related_populators(compiler.klass_info, compiler.select, db)
    annotations = list(compiler.annotation_col_map.items())
    converted = _converter(compiler)

    def rows(fetched: list[tuple]) -> list[Any]:
        out = []
        for row in converted(fetched):
            instance = model.from_db(db, names, row[start:end])
            for populator in related:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            out.append(instance)
        return out

    return rows


def _tuple_rows(compiler: SQLCompiler, *, flat: bool) -> Callable[[list[tuple]], list[Any]]:
    count = compiler.col_count
    converted = _converter(compiler)

    def rows(fetched: list[tuple]) -> list[Any]:
        return [row[0] if flat else tuple(row[:count]) for row in converted(fetched)]

    return rows
