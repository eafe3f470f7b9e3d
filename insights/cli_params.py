"""Command-line values checked where click reads them, so a mistake is a usage error (exit 2) with the
option's name, before any work starts."""

from __future__ import annotations

from pathlib import Path

import click

from insights.errors import SourceError


class CatalogArgument(click.ParamType):
    """A `--catalog` value (or a `catalog lint` PATH): a folder or file that exists, `list:FILE` with a
    readable FILE, a git URL or `backstage:URL`. The text is kept; commands turn it into a source."""

    name = "catalog"

    def convert(self, value, param, ctx):
        from insights.catalog.sources import source_from_argument  # crawling code loads only when used

        text = str(value)
        try:
            source = source_from_argument(text)
        except SourceError:
            self.fail(f"{text!r} is neither a folder nor a file that exists, nor a git URL, `list:FILE` or "
                      "`backstage:URL`", param, ctx)
        if source.kind == "list" and not Path(source.location).is_file():
            self.fail(f"repository list {source.location!r} does not exist or is not a file", param, ctx)
        return text


CATALOG = CatalogArgument()


class FiniteRange(click.FloatRange):
    """A FloatRange that refuses NaN, which passes every range check (and then no gate ever trips)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


RUN_ID = click.IntRange(1, 2 ** 63 - 1)  # what every database stores in an id column
