"""Small SQL building blocks shared by the apps' read modules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import IntegerField, QuerySet, Subquery
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler


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


_LARGEST_ID = 2**63 - 1
_ID_MARK = 7_012_345_678_900  # ids no table holds: where they land in the compiled parameters, the real ids go


@dataclass(frozen=True)
class _Compiled:
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
        self._compiled: dict[tuple, _Compiled] = {}

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

    def _compile(self, names: list[str]) -> _Compiled:
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
        return _Compiled(sql, list(params), slots, rows)


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
