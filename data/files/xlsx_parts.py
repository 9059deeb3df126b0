"""The parts of an .xlsx package that do not depend on the rows (SpreadsheetML, ECMA-376):
the namespaces, the cell styles, the workbook's own files around the sheets, and the text
and time cells as data.files.xlsx writes them."""

import re
import zipfile
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

EXCEL_MAX_TEXT = 32_767
# Starts of a text that a spreadsheet could take for a formula (OWASP: = + - @ tab CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Cell styles (indexes into cellXfs below).
HEADER, DATETIME, TEXT, TEXT_QUOTED, QUANTITY = 1, 2, 3, 4, 5
STYLES = f"""{XML_DECL}<styleSheet xmlns="{MAIN_NS}">
<numFmts count="1"><numFmt numFmtId="164" formatCode="dd.mm.yyyy hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/>\
</patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/>\
</border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" \
applyBorder="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
quotePrefix="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
# Characters XML 1.0 cannot carry at all (a control character typed into a note).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_time(value: datetime, tz: ZoneInfo) -> float:
    """An aware time as Excel's serial day number, on the wall clock of `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database stores UTC
    delta = value.astimezone(tz).replace(tzinfo=None) - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def xml_safe(text: str) -> str:
    """`text` without what an .xlsx cannot hold: XML 1.0's forbidden characters, and
    anything past Excel's 32,767 characters a cell."""
    return _NOT_XML.sub("", text)[:EXCEL_MAX_TEXT]


def text_style(text: str) -> int:
    return TEXT_QUOTED if is_formula_like(text) else TEXT


def t_element(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<t{space}>{escape(text)}</t>"


@lru_cache(maxsize=4096)
def inline_body(text: str) -> str:
    """An inline text cell after its reference (for texts that rarely repeat: notes)."""
    text = xml_safe(text)
    if not text:
        return ""
    return f' s="{text_style(text)}" t="inlineStr"><is>{t_element(text)}</is></c>'


def inline_cell(ref: str, text: str) -> str:
    body = inline_body(text)
    return f'<c r="{ref}"{body}' if body else ""


def quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_package(
    archive: zipfile.ZipFile,
    sheets: Sequence[tuple[str, int]],
    last_column: str,
    shared: Collection[str],
    shared_count: int,
) -> None:
    """Everything of the package but the sheets' rows: content types, relations, the
    workbook (its sheets, each with its autofilter range), styles and shared strings.
    `sheets`: (name, last row) of each; `shared`: the shared strings in index order."""
    count = len(sheets)
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    archive.writestr(
        "[Content_Types].xml",
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        f"{sheet_types}</Types>",
    )
    archive.writestr(
        "_rels/.rels",
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
    )
    sheet_list = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in enumerate(sheets, start=1)
    )
    # Excel keeps each sheet's autofilter range in this hidden name as well.
    filters = "".join(
        '<definedName name="_xlnm._FilterDatabase" '
        f'localSheetId="{i}" hidden="1">'
        f"{escape(quoted_sheet(name))}!$A$1:${last_column}${rows}</definedName>"
        for i, (name, rows) in enumerate(sheets)
    )
    archive.writestr(
        "xl/workbook.xml",
        f'{XML_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        f"<bookViews><workbookView/></bookViews><sheets>{sheet_list}</sheets>"
        f"<definedNames>{filters}</definedNames></workbook>",
    )
    relations = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    archive.writestr(
        "xl/_rels/workbook.xml.rels",
        f'{XML_DECL}<Relationships xmlns="{PKG_REL_NS}">{relations}'
        f'<Relationship Id="rId{count + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{count + 2}" Type="{REL_NS}/sharedStrings" '
        'Target="sharedStrings.xml"/>'
        "</Relationships>",
    )
    archive.writestr("xl/styles.xml", STYLES)
    with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
        part.write(
            f'{XML_DECL}<sst xmlns="{MAIN_NS}" count="{shared_count}" '
            f'uniqueCount="{len(shared)}">'.encode()
        )
        batch: list[str] = []
        for text in shared:
            batch.append(f"<si>{t_element(xml_safe(text))}</si>")
            if len(batch) >= 1000:
                part.write("".join(batch).encode())
                batch.clear()
        part.write(("".join(batch) + "</sst>").encode())
