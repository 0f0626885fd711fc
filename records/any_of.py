"""A column equal to any of many values, as one parameter: ``column = ANY(%s)`` with the values as
one array on PostgreSQL (``IN (%s, ...)`` elsewhere). Django's ``__in`` prepares each value through
the column's field and adds a placeholder for each: for the thousand people of a bulk request, a
noticeable part of its CPU. The values are taken as the database takes them: give them in the
column's own Python type (ints for keys, text for text)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import BooleanField, Expression, F


class AnyOf(Expression):
    """``filter(AnyOf("citizen_id", ids))``: the rows whose `field` is one of `values` (none when
    there are none), as ``filter(citizen_id__in=ids)`` selects them. For filter(), not exclude() of a
    column that may be NULL (``exclude(x__in=...)`` keeps the NULL rows; NOT of this does not)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str | F, values: Iterable) -> None:
        super().__init__()
        self.lhs = F(field) if isinstance(field, str) else field
        self.values = list(values)

    def get_source_expressions(self):
        return [self.lhs]

    def set_source_expressions(self, exprs) -> None:
        (self.lhs,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.lhs = self.lhs.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return resolved

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        if not self.values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, self.values]
        return f"{lhs} IN ({', '.join(['%s'] * len(self.values))})", [*params, *self.values]
