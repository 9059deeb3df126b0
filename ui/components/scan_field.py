"""The scan field of every tablet scan page (count, putaway, picking, packing, missions,
unit moves) — one mechanism, so a fast USB scanner never loses a scan.

A scanner types a code and Enter, then at once the next code. Two races would lose it:
- the server clearing the field after a scan (`set_value("")`) would wipe the first keys
  of the next code, already typed in the browser; so the browser itself takes the code out
  of the field at Enter and sends it with the event, and the server never writes the field;
- a scan handler that waits (the database, the session check) would let the next scan
  run meanwhile, against a page state not yet changed (a product scanned before its bin
  is known); so scans are handled one at a time, in the order they were typed.
"""

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from nicegui import events, ui

from ui.components.feedback import route_keys_to

# `getElement` is NiceGUI's: the field's Vue component; emptying its model empties the
# input at once and tells the server the field is empty (in order, after the code).
_TAKE_CODE = """(e) => {
  const code = e.target.value;
  const field = getElement(FIELD_ID);
  if (field) field.inputValue = "";
  else e.target.value = "";
  emit(code);
}"""


class ScanField(ui.input):
    """A big scan input; `on_scan(code)` gets each scanned code (stripped, never empty),
    one call at a time. Keys typed outside any field come here too (`route_keys_to`) unless
    `route_keys` is False (a form with other fields)."""

    def __init__(
        self, label: str, on_scan: Callable[[str], Any], *, route_keys: bool = True
    ) -> None:
        super().__init__(label)
        self.props("outlined autofocus input-class=text-h5 enterkeyhint=done")
        with self.add_slot("prepend"):
            ui.icon("qr_code_scanner", size="md")
        self._on_scan = on_scan
        self._turn = asyncio.Lock()
        self.handled = 0  # scans answered so far (a test waits for its scan's answer)
        take_code = _TAKE_CODE.replace("FIELD_ID", str(self.id))
        self.on("keydown.enter", self._entered, js_handler=take_code)
        if route_keys:
            route_keys_to(self)

    async def _entered(self, e: events.GenericEventArguments) -> None:
        if isinstance(e.args, str):
            code = e.args.strip()
        else:  # no browser ran `_TAKE_CODE` (NiceGUI's simulated user in page tests): its part
            code, self.value = (self.value or "").strip(), ""
        if not code:
            return
        async with self._turn:  # asyncio.Lock wakes its waiters first come, first served
            try:
                result = self._on_scan(code)
                if inspect.isawaitable(result):
                    await result
            finally:
                self.handled += 1

    def ask(self, label: str) -> None:
        """A new prompt and the focus back here; whatever is being typed stays."""
        self.props(f'label="{label}"')
        self.run_method("focus")
