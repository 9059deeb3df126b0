"""How pages tell a person what happened: the domain's Russian message, never a traceback.

`ScanFeedback` is for pages driven by a scanner: people there look at the goods, not the
screen, so every answer to a scan comes as a full-screen colour flash and a short beep —
a low double buzz for «not found / wrong product», a high rising chirp for «done» — and
the message stays in a coloured banner until the next scan.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nicegui import ui

from core.errors import DomainError
from core.users import policy
from core.users.auth import Identity
from ui.i18n import tr

Kind = Literal["error", "warning", "done"]

# WebAudio tones, no audio files: (frequency Hz, seconds); 0 Hz is a pause.
# `window.wmsScanSignals` records what was played, for the browser test.
SIGNAL_SCRIPT = """<script>
window.wmsScanSignals = window.wmsScanSignals || [];
window.wmsScanSignal = (kind) => {
  const tones = kind === "done"
    ? [[880, 0.08], [1320, 0.14]]
    : [[200, 0.12], [0, 0.06], [200, 0.18]];
  const colour = {error: "rgba(193,0,21,.45)", warning: "rgba(242,160,0,.45)",
                  done: "rgba(33,186,69,.40)"}[kind];
  const flash = document.createElement("div");
  flash.className = "wms-scan-flash";
  flash.dataset.kind = kind;
  // The colour itself fades (not the opacity): no compositor layer that could linger.
  flash.style.cssText = "position:fixed;inset:0;z-index:6000;pointer-events:none;" +
    `background-color:${colour};transition:background-color .7s ease-in`;
  document.body.appendChild(flash);
  requestAnimationFrame(() => requestAnimationFrame(() => {
    flash.style.backgroundColor = "transparent";
  }));
  setTimeout(() => flash.remove(), 900);
  try {
    const Audio = window.AudioContext || window.webkitAudioContext;
    const audio = window.wmsAudio = window.wmsAudio || new Audio();
    if (audio.state === "suspended") audio.resume();
    let at = audio.currentTime + 0.01;
    for (const [hz, seconds] of tones) {
      if (hz) {
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = kind === "done" ? "sine" : "square";
        osc.frequency.value = hz;
        gain.gain.setValueAtTime(0.2, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + seconds);
      }
      at += seconds;
    }
  } catch (e) { /* no audio device: the flash and the banner still tell */ }
  window.wmsScanSignals.push({kind, tones: tones.filter(([hz]) => hz).map(([hz]) => hz)});
};
</script>"""

BANNER_CLASSES = {
    "error": "bg-negative text-white",
    "warning": "bg-amber-3 text-black",
    "done": "bg-positive text-white",
}
ICONS = {"error": "error", "warning": "warning", "done": "check_circle"}


def show_error(error: DomainError) -> None:
    ui.notify(error.message, type="negative", position="top", multi_line=True)


def show_done(message: str) -> None:
    ui.notify(message, type="positive", position="top")


@dataclass(frozen=True)
class Action:
    """A button in the banner: what to do about what the scan found."""

    label: str
    on_click: Callable[..., Any]
    marker: str
    primary: bool = False


class ScanFeedback:
    """The banner and the signals of one scan page. Build it where the banner should sit.

    `on_create(barcode)` opens product creation with that barcode; it is offered on
    «not found» to admins and managers only (the handler must check the role again).
    """

    def __init__(self, user: Identity, *, on_create: Callable[[str], Any] | None = None) -> None:
        ui.add_head_html(SIGNAL_SCRIPT)
        may_create = policy.can(user.role, policy.Action.MANAGE_PRODUCTS)
        self._on_create = on_create if may_create else None
        self.kind: Kind | None = None
        with (
            ui.column()
            .classes("w-full gap-2 rounded-borders q-pa-md")
            .props("role=alert aria-live=assertive")
            .mark("scan-flash") as self.banner
        ):
            with ui.row().classes("w-full items-center no-wrap gap-3"):
                self._icon = ui.icon("error", size="lg")
                self._text = (
                    ui.label().classes("text-h6 leading-tight grow").mark("scan-flash-text")
                )
            self._actions = ui.row().classes("w-full gap-2")
        self.banner.set_visibility(False)

    @property
    def text(self) -> str:
        return self._text.text

    def signal(self, kind: Kind) -> None:
        """The flash and the beep alone (the page says the rest elsewhere)."""
        self.kind = kind
        ui.run_javascript(f"window.wmsScanSignal && window.wmsScanSignal('{kind}')")

    def show(self, kind: Kind, message: str, actions: Sequence[Action] = ()) -> None:
        """Flash, beep and keep `message` in the banner until `clear()`."""
        for classes in BANNER_CLASSES.values():
            self.banner.classes(remove=classes)
        self.banner.classes(BANNER_CLASSES[kind])
        self.banner.props(f"data-kind={kind}")
        self._icon.name = ICONS[kind]
        self._text.set_text(message)
        self._actions.clear()
        with self._actions:
            for action in actions:
                button = ui.button(action.label, on_click=action.on_click).mark(action.marker)
                if action.primary:
                    button.props("unelevated color=white text-color=black size=lg")
                else:
                    button.props("outline size=lg")
        self._actions.set_visibility(bool(actions))
        self.banner.set_visibility(True)
        self.signal(kind)

    def error(self, message: str, actions: Sequence[Action] = ()) -> None:
        self.show("error", message, actions)

    def warn(self, message: str, actions: Sequence[Action] = ()) -> None:
        self.show("warning", message, actions)

    def done(self, message: str | None = None) -> None:
        if message is None:
            self.banner.set_visibility(False)
            self.signal("done")
        else:
            self.show("done", message)

    def not_found(self, code: str) -> None:
        """An unknown barcode; a manager is offered to create the product with it."""
        actions: list[Action] = []
        if self._on_create is not None:
            create = self._on_create
            actions.append(
                Action(
                    tr("Создать товар с этим штрихкодом", "Create a product with this barcode"),
                    lambda: create(code),
                    "create-product",
                    primary=True,
                )
            )
        self.error(
            tr(
                f"Товар со штрихкодом или GTIN «{code}» не найден",
                f"No product with barcode or GTIN “{code}”",
            ),
            actions,
        )

    def clear(self) -> None:
        self.kind = None
        self.banner.set_visibility(False)


# A key typed while no field has the focus goes to the page's scan field: a scanner keeps
# working after a tap elsewhere on the tablet.
_SCAN_ROUTER = """<script>
document.addEventListener("keydown", (e) => {
  if (e.key.length !== 1 || e.ctrlKey || e.altKey || e.metaKey) return;
  const here = document.activeElement;
  if (here && (here.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(here.tagName)))
    return;
  const scan = document.getElementById("SCAN_ID");
  if (scan) { scan.focus(); scan.select(); }
});
</script>"""


def route_keys_to(scan: ui.input) -> None:
    """Send the keys typed outside any field to `scan` (call once per page)."""
    ui.add_body_html(_SCAN_ROUTER.replace("SCAN_ID", scan.html_id))
