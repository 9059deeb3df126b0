"""A marketplace's own labels (e.g. Wildberries' box or supply labels, handed out as a PDF)
turned into ZPL for the station's Zebra printer, so one printer prints everything.

zebrafy renders each page with pdfium at the printer's 203 dpi (so a 58 × 40 mm page prints
58 × 40 mm) and writes it as a ZPL graphic field, one label a page. No dithering: a hard
black/white threshold keeps barcode bars crisp (dithering greys them into dots a scanner
misreads). Z64 (zlib + base64) keeps the job small. The upload is checked first: a PDF by
its signature, at most MAX_BYTES and MAX_PAGES, else a Russian refusal.
"""

from pypdfium2 import PdfDocument, PdfiumError
from zebrafy import ZebrafyPDF

from core.errors import ValidationError

MAX_BYTES = 10 * 2**20  # a marketplace's labels for a large supply are a few hundred KB
MAX_PAGES = 500
DPI = 203
PDF_SIGNATURE = b"%PDF-"


def check_pdf(content: bytes) -> int:
    """The number of pages of an uploaded PDF; ValidationError when it is not one."""
    if not content:
        raise ValidationError("file_empty", "Файл пустой", field="file")
    if len(content) > MAX_BYTES:
        raise ValidationError(
            "file_too_large", f"Файл больше {MAX_BYTES // 2**20} МБ: разделите его на части",
            field="file",
        )  # fmt: skip
    if PDF_SIGNATURE not in content[:1024]:
        raise ValidationError(
            "not_a_pdf", "Это не PDF: загрузите файл этикеток из кабинета маркетплейса (.pdf)",
            field="file",
        )  # fmt: skip
    try:
        document = PdfDocument(content)
    except PdfiumError:
        raise ValidationError(
            "pdf_unreadable", "PDF повреждён или защищён паролем: его не прочитать", field="file"
        ) from None
    try:
        pages = len(document)
    finally:
        document.close()
    if pages == 0:
        raise ValidationError("pdf_empty", "В PDF нет страниц", field="file")
    if pages > MAX_PAGES:
        raise ValidationError(
            "pdf_too_many_pages", f"В PDF {pages} страниц: не больше {MAX_PAGES} за раз",
            field="file",
        )  # fmt: skip
    return pages


def pdf_to_zpl(content: bytes) -> str:
    """ZPL for the printer: one `^XA … ^XZ` label per page, at the page's size."""
    check_pdf(content)
    return ZebrafyPDF(
        content, dpi=DPI, format="Z64", dither=False, threshold=160, set_label_size=True,
        split_pages=True,
    ).to_zpl()  # fmt: skip
