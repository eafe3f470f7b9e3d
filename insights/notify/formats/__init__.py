"""Message formats by name: each turns a `Notice` into the JSON body a webhook receives."""

from __future__ import annotations

from collections.abc import Callable

from insights.notify.formats import generic, slack
from insights.notify.message import Notice

RENDERERS: dict[str, Callable[[Notice], dict]] = {"slack": slack.render, "json": generic.render}
