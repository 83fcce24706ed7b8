"""Small SQL building blocks shared by the apps' read modules."""

from __future__ import annotations

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
