"""How the journal's table looks: its columns, the cells' templates, the card a narrow
screen shows instead of a row, and the link of an imported movement to its import."""

from ui.i18n import tr

IMPORT_HISTORY_PATH = "/import/history"  # ui.pages.imports.history.HISTORY_PATH


COLUMNS = (
    ("id", "№", "#", "left"),
    ("created_at", "Дата и время", "Date and time", "left"),
    ("operation", "Операция", "Operation", "left"),
    ("product", "Товар", "Product", "left"),
    ("quantity", "Кол-во", "Qty", "right"),
    ("route", "Откуда → куда", "From → to", "left"),
    ("reference", "Источник / РЦ", "Source / DC", "left"),
    ("user", "Пользователь", "User", "left"),
    ("notes", "Комментарий", "Notes", "left"),
    ("actions", "", "", "right"),
)

NO_WRAP = {"id", "quantity", "actions"}
IMPORT_LINK = r"""
<a v-if="props.row.import_link" :href="props.row.import_link" class="text-primary"
   @click.stop>{{ props.row.import_text }}</a>
"""
# A receipt's stickers: in the wide table an icon beside «Сторно» (the table still fits
# 1366 px), on a card a button with its word (STICKERS_BUTTON).
STICKERS_ICON = r"""
<q-btn v-if="props.row.can_sticker" outline color="primary" icon="sell"
       class="q-mr-xs" style="min-height: 44px; min-width: 44px"
       :title="props.row.sticker_label" :aria-label="props.row.sticker_label"
       @click="() => $parent.$emit('stickers', props.row.id)" />
"""
OPERATION_CELL = rf"""
<q-td :props="props">
  <div>{{{{ props.row.operation }}}}</div>{IMPORT_LINK}
  <q-badge v-if="props.row.reversal_text" color="orange-9" class="q-mt-xs"
           :label="props.row.reversal_text" />
  <q-badge v-if="props.row.reversed_text" color="grey-7" class="q-mt-xs"
           :label="props.row.reversed_text" />
</q-td>
"""
# Long names and notes take a few lines at most (the whole text on hover), and a long
# word breaks: the table must fit a 1366 px screen with «Сторно» in view.
PRODUCT_CELL = r"""
<q-td :props="props" style="min-width: 160px; max-width: 300px">
  <div class="wms-clamp-2" :title="props.row.product">{{ props.row.product }}</div>
  <div class="text-caption text-grey-7">{{ props.row.sku }}</div>
</q-td>
"""
REFERENCE_CELL = r"""
<q-td :props="props" style="overflow-wrap: break-word">
  <div>{{ props.row.reference }}</div>
  <div v-if="props.row.reference_caption" class="text-caption text-grey-7">
    {{ props.row.reference_caption }}</div>
</q-td>
"""
NOTES_CELL = r"""
<q-td :props="props" style="min-width: 160px; max-width: 240px">
  <div class="wms-clamp-3" :title="props.row.notes">{{ props.row.notes }}</div>
</q-td>
"""
REVERSE_BUTTON = r"""
<q-btn v-if="props.row.can_reverse" outline no-caps no-wrap color="negative" icon="undo"
       class="q-px-sm" style="min-height: 44px"
       :label="props.row.reverse_label"
       @click="() => $parent.$emit('reverse', props.row.id)" />
"""
STICKERS_BUTTON = r"""
<q-btn v-if="props.row.can_sticker" outline no-caps no-wrap color="primary" icon="sell"
       class="q-px-sm q-mr-xs" style="min-height: 44px"
       :label="props.row.sticker_label"
       @click="() => $parent.$emit('stickers', props.row.id)" />
"""
ACTIONS_CELL = (
    f'<q-td :props="props"><div class="row no-wrap">{STICKERS_ICON}{REVERSE_BUTTON}</div></q-td>'
)
# Below 1000 px (tablets upright) each movement is a card instead of a wide row.
CARD = f"""
<div class="q-pa-xs col-12">
  <q-card flat bordered>
    <q-card-section class="q-py-sm">
      <div class="row items-start no-wrap q-gutter-x-sm">
        <div class="col">
          <div class="text-subtitle1 text-weight-medium">
            №{{{{ props.row.id }}}} · {{{{ props.row.operation }}}}
            <q-badge v-if="props.row.reversal_text" color="orange-9"
                     :label="props.row.reversal_text" />
            <q-badge v-if="props.row.reversed_text" color="grey-7"
                     :label="props.row.reversed_text" />
          </div>
          <div class="text-caption text-grey-7">
            {{{{ props.row.created_at }}}} · {{{{ props.row.user }}}}</div>
          <div v-if="props.row.import_link">{IMPORT_LINK}</div>
        </div>
        <div class="text-h6 text-no-wrap">{{{{ props.row.quantity_text }}}}</div>
      </div>
      <div class="text-body1 q-mt-xs wms-clamp-2" :title="props.row.product">
        {{{{ props.row.product }}}}
        <span class="text-caption text-grey-7">{{{{ props.row.sku }}}}</span></div>
      <div class="text-body2">{{{{ props.row.route }}}}</div>
      <div v-if="props.row.reference" class="text-body2">{{{{ props.row.reference }}}}
        <span class="text-grey-7">{{{{ props.row.reference_caption }}}}</span></div>
      <div v-if="props.row.notes" class="text-body2 text-grey-8 wms-clamp-3"
           :title="props.row.notes">{{{{ props.row.notes }}}}</div>
    </q-card-section>
    <q-card-actions v-if="props.row.can_reverse || props.row.can_sticker" align="right">
      {STICKERS_BUTTON}{REVERSE_BUTTON}</q-card-actions>
  </q-card>
</div>
"""


def import_reference(document: str | None) -> dict[str, str]:
    """An imported movement (document "import:<id>", core.imports) links back to its
    import in the history: «Импорт №12»."""
    prefix, _, number_text = (document or "").partition(":")
    if prefix != "import" or not number_text.isdigit():
        return {"import_link": "", "import_text": ""}
    return {
        "import_link": f"{IMPORT_HISTORY_PATH}?import_id={number_text}",
        "import_text": tr(f"Импорт №{number_text}", f"Import #{number_text}"),
    }
