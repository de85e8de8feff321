"""Command palette entries: every screen, every export, the current screen's actions."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class RbtuiCommands(Provider):
    """Commands the app and the current screen offer (see RbtuiApp.palette_commands)."""

    def _commands(self) -> list[tuple[str, object, str]]:
        return list(self.app.palette_commands(self.screen))

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


def call(fn, *args):
    """A zero-argument callback for a palette entry."""
    return partial(fn, *args)
