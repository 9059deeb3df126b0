"""Photos of a quality check (core.orders.quality): taken by the tablet's camera, JPEG or
PNG told by their first bytes (never by a name or a declared type), at most
WMS_QC_PHOTO_MAX_BYTES, stored under a generated name — never the uploader's."""

from uuid import uuid4

from core.errors import Conflict, NotFound, ValidationError
from core.orders.quality import QcStatus, fresh_check, order_and_check, record_step, replay
from core.orders.quality_ports import PhotoStore, QcPhoto, QcStep, QualityUnitOfWork
from core.orders.rules import clean_key
from core.periods import now_utc
from core.settings import get_settings

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"))


def photo_kind(content: bytes) -> tuple[str, str]:
    """(content type, extension) of a JPEG or PNG, told by its first bytes."""
    for magic, content_type, extension in _MAGIC:
        if content.startswith(magic):
            return content_type, extension
    raise ValidationError("photo_not_image", "Это не фотография: нужен снимок JPEG или PNG",
                          field="file")  # fmt: skip


def photo_too_large() -> ValidationError:
    limit = get_settings().qc_photo_max_bytes
    return ValidationError("photo_too_large",
                           f"Фото больше {limit // (1024 * 1024) or 1} МБ: снимите с меньшим "
                           "разрешением", field="file")  # fmt: skip


def attach_photo(
    uow: QualityUnitOfWork, store: PhotoStore, task_id: int, content: bytes,
    user_id: int | None, *, idempotency_key: str | None = None,
) -> QcPhoto:  # fmt: skip
    """A photo of the check, stored under a generated name (never the uploader's)."""
    key = clean_key(idempotency_key)
    if len(content) > get_settings().qc_photo_max_bytes:
        raise photo_too_large()
    content_type, extension = photo_kind(content)
    name = f"{uuid4().hex}.{extension}"
    with uow:
        if key is not None and uow.quality.step_by_key(key, user_id) is not None:
            replay(uow, key, user_id, task_id, "photo")
            earlier = [p for p in fresh_check(uow, task_id).photos if p.user_id == user_id]
            return earlier[-1]
        task = order_and_check(uow, task_id)
        if task.status == QcStatus.CANCELLED:
            raise Conflict("invalid_transition", "Проверка отменена")
        now = now_utc()
        store.save(name, content)
        try:
            photo = QcPhoto(0, task_id, name, content_type, len(content), user_id, now)
            photo_id = uow.quality.add_photo(photo)
            record_step(uow, QcStep(task_id, "photo", user_id, now, name, key))
            uow.commit()
        except BaseException:
            store.remove(name)  # no row points at it
            raise
    return QcPhoto(photo_id, task_id, name, content_type, len(content), user_id, now)


def photo_of(uow: QualityUnitOfWork, photo_id: int) -> QcPhoto:
    with uow:
        photo = uow.quality.photo(photo_id)
    if photo is None:
        raise NotFound("photo_not_found", "Фото не найдено")
    return photo
