"""Missions (DESIGN.md §2a, §2b, §6): a unit of floor work — putaway, move, replenishment —
with lines (product, quantity, from → to location, optional handling unit).

A manager creates a mission as a draft, edits it while it is one and assigns it to an
active executor; the executor starts it, records its lines (core.floor.recording) and
completes it. Partial execution is allowed, and cancelling keeps what was done. Every step
is written to the mission's history with who and when; an illegal step is a conflict
(`invalid_transition`), never a silent no-op. A request that changes a mission may carry
an idempotency key: the same key again returns the mission and changes nothing.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Conflict, NotFound, ValidationError
from core.floor.mission_lines import LineRequest, check_lines, lines_text
from core.floor.mission_rules import (
    MAX_REASON,
    STATUS_LABELS,
    Actor,
    Status,
    check_id,
    check_kind,
    check_move,
    check_priority,
    clean_key,
    illegal,
    may_work_on,
    must_manage,
)
from core.floor.ports import (
    ExecutorRecord,
    Mission,
    MissionFields,
    MissionHead,
    MissionLine,
    MissionRepository,
    MissionWork,
    Step,
)
from core.periods import now_utc


@dataclass(frozen=True)
class MissionRequest:
    kind: object
    lines: Sequence[LineRequest]
    priority: object = "normal"
    executor_id: object = None  # given: the new mission is assigned at once


@dataclass(frozen=True)
class Done:
    mission: Mission
    replayed: bool  # True: the idempotency key was seen before; nothing was changed


def _head(repo: MissionRepository, mission_id: int, *, hold: bool = False) -> MissionHead:
    head = repo.head(mission_id, hold=hold)
    if head is None:
        raise NotFound("mission_not_found", "Задание не найдено")
    return head


def _mission(repo: MissionRepository, mission_id: int) -> Mission:
    mission = repo.mission(mission_id)
    assert mission is not None, "read in the transaction that found it"
    return mission


def _replay(
    repo: MissionRepository, key: str | None, actor: Actor, mission_id: int | None, action: str
) -> Done | None:
    """The answer to a request already made with this key; None when the key is new."""
    if key is None:
        return None
    step = repo.step_by_key(key, actor.user_id)
    if step is None:
        return None
    if step.action != action or (mission_id is not None and step.mission_id != mission_id):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    return Done(_mission(repo, step.mission_id), replayed=True)


def create_mission(
    work: MissionWork, req: MissionRequest, actor: Actor, *, idempotency_key: str | None = None
) -> Done:
    must_manage(actor)
    kind = check_kind(req.kind)
    priority = check_priority(req.priority)
    key = clean_key(idempotency_key)
    with work:
        repo = work.missions
        earlier = _replay(repo, key, actor, None, "created")
        if earlier is not None:
            return earlier
        lines = check_lines(repo, kind, req.lines)
        executor = None
        if req.executor_id is not None:
            executor = _assignable(repo, _executor_id(req.executor_id))
        now = now_utc()
        mission_id = repo.insert_mission(MissionFields(kind, priority, actor.user_id, now))
        repo.replace_lines(mission_id, lines)
        details = lines_text(len(lines)).capitalize()
        if not repo.add_step(
            Step(mission_id, "created", "draft", actor.user_id, now, details, key)
        ):
            # A twin with the same key committed meanwhile: answer with its mission.
            twin = _replay(repo, key, actor, None, "created")
            assert twin is not None
            return twin
        if executor is not None:
            repo.set_status(mission_id, "draft", "assigned", at=now, executor_id=executor.id)
            assigned = f"Исполнитель: {executor.name}"
            repo.add_step(Step(mission_id, "assigned", "assigned", actor.user_id, now, assigned))
        mission = _mission(repo, mission_id)
        work.commit()
        return Done(mission, replayed=False)


def update_mission(
    work: MissionWork, mission_id: int, changes: dict[str, Any], actor: Actor
) -> Mission:
    """Change a draft: `kind`, `priority`, `lines` (the whole list replaces the old one)."""
    must_manage(actor)
    unknown = set(changes) - {"kind", "priority", "lines"}
    if unknown:
        raise ValidationError("field_not_allowed", f"Неизвестное поле «{sorted(unknown)[0]}»")
    with work:
        repo = work.missions
        head = _head(repo, mission_id)
        if head.status != Status.DRAFT:
            raise illegal(
                f"Изменить можно только черновик, а задание — «{STATUS_LABELS[head.status]}»"
            )
        current = _mission(repo, mission_id)
        kind = check_kind(changes["kind"]) if "kind" in changes else current.kind
        priority = current.priority
        if "priority" in changes:
            priority = check_priority(changes["priority"])
        lines = None
        if "lines" in changes:
            lines = check_lines(repo, kind, changes["lines"])
        elif kind != current.kind:  # the lines must suit the new kind
            check_lines(repo, kind, [_as_request(line) for line in current.lines])
        if not repo.update_draft(mission_id, kind, priority):  # assigned meanwhile
            raise illegal("Задание уже не черновик: его изменили одновременно с вами")
        if lines is not None:
            repo.replace_lines(mission_id, lines)
        what = [name for name in ("kind", "priority", "lines") if name in changes]
        labels = {"kind": "вид", "priority": "приоритет", "lines": "строки"}
        details = ", ".join(labels[w] for w in what).capitalize() if what else "Без изменений"
        repo.add_step(Step(mission_id, "updated", Status.DRAFT, actor.user_id, now_utc(), details))
        mission = _mission(repo, mission_id)
        work.commit()
        return mission


def _executor_id(value: object) -> int:
    return check_id(value, "executor_not_found", "Исполнитель не найден", "executor_id")


def _as_request(line: MissionLine) -> LineRequest:
    return LineRequest(
        line.product_id, line.quantity, line.from_location_id, line.to_location_id,
        line.handling_unit_id, line.whole_unit,
    )  # fmt: skip


def _assignable(repo: MissionRepository, executor_id: int) -> ExecutorRecord:
    executor = repo.executor(executor_id)
    if executor is None:
        raise NotFound("executor_not_found", "Исполнитель не найден")
    if not executor.is_active:
        raise Conflict("executor_inactive", f"Исполнитель «{executor.name}» отключён")
    return executor


def _done_text(mission: Mission) -> str:
    goods = [line for line in mission.lines if not line.whole_unit]
    units = [line for line in mission.lines if line.whole_unit]
    parts = []
    if goods or not units:
        done = sum(line.done_quantity for line in goods)
        parts.append(f"{done} из {sum(line.quantity for line in goods)} шт.")
    if units:
        moved = sum(line.done_quantity for line in units)
        parts.append(f"паллет и коробок {moved} из {len(units)}")
    return "выполнено " + ", ".join(parts)


def _transition(
    work: MissionWork,
    mission_id: int,
    actor: Actor,
    key: str | None,
    action: str,
    target: str,
    act: Callable[[MissionRepository, MissionHead], str],
) -> Done:
    """One step to `target`: find the mission, check who asks, replay a known key, then
    `act` (which checks the move and writes it, returning the history's details) and write
    the step."""
    key = clean_key(key)
    with work:
        repo = work.missions
        head = _head(repo, mission_id)
        may_work_on(actor, head)
        earlier = _replay(repo, key, actor, mission_id, action)
        if earlier is not None:
            return earlier
        details = act(repo, head)
        step = Step(mission_id, action, target, actor.user_id, now_utc(), details, key)
        if not repo.add_step(step):
            twin = _replay(repo, key, actor, mission_id, action)
            assert twin is not None
            return twin
        mission = _mission(repo, mission_id)
        work.commit()
        return Done(mission, replayed=False)


def _set(repo: MissionRepository, head: MissionHead, target: str, **fields: Any) -> None:
    check_move(head.status, target)
    if not repo.set_status(head.id, head.status, target, at=now_utc(), **fields):
        now = repo.head(head.id)
        check_move(now.status if now else head.status, target)  # the message of the new state
        raise illegal("Задание изменили одновременно с вами: обновите страницу")


def assign(
    work: MissionWork,
    mission_id: int,
    executor_id: object,
    actor: Actor,
    *,
    idempotency_key: str | None = None,
) -> Done:
    """A draft becomes assigned; an assigned mission not yet started may be given to
    another executor."""
    must_manage(actor)
    chosen = _executor_id(executor_id)

    def act(repo: MissionRepository, head: MissionHead) -> str:
        executor = _assignable(repo, chosen)
        target = Status.ASSIGNED
        if head.status == Status.ASSIGNED:  # another executor, same state
            changed = repo.set_status(
                head.id, head.status, target, at=now_utc(), executor_id=executor.id
            )
            if not changed:
                raise illegal("Задание изменили одновременно с вами: обновите страницу")
        else:
            _set(repo, head, target, executor_id=executor.id)
        return f"Исполнитель: {executor.name}"

    return _transition(work, mission_id, actor, idempotency_key, "assigned", Status.ASSIGNED, act)


def start(
    work: MissionWork, mission_id: int, actor: Actor, *, idempotency_key: str | None = None
) -> Done:
    def act(repo: MissionRepository, head: MissionHead) -> str:
        if head.status == Status.ASSIGNED and not head.executor_active:
            raise Conflict("executor_inactive", "Исполнитель отключён: назначьте другого")
        _set(repo, head, Status.IN_PROGRESS)
        return ""

    return _transition(work, mission_id, actor, idempotency_key, "started", Status.IN_PROGRESS, act)


def complete(
    work: MissionWork, mission_id: int, actor: Actor, *, idempotency_key: str | None = None
) -> Done:
    """Partial execution is allowed: the lines keep what was done."""

    def act(repo: MissionRepository, head: MissionHead) -> str:
        _set(repo, head, Status.COMPLETED)
        return _done_text(_mission(repo, head.id)).capitalize()

    return _transition(work, mission_id, actor, idempotency_key, "completed", Status.COMPLETED, act)


def cancel(
    work: MissionWork,
    mission_id: int,
    reason: str | None,
    actor: Actor,
    *,
    idempotency_key: str | None = None,
) -> Done:
    """From any state but completed; what was done stays (no automatic reversal)."""
    must_manage(actor)
    text = " ".join((reason or "").split()) or None
    if text is not None and len(text) > MAX_REASON:
        raise ValidationError(
            "reason_too_long", f"Причина: не больше {MAX_REASON} символов", field="reason"
        )

    def act(repo: MissionRepository, head: MissionHead) -> str:
        _set(repo, head, Status.CANCELLED, cancel_reason=text)
        done = _done_text(_mission(repo, head.id))
        return f"Причина: {text}; {done}" if text else done.capitalize()

    return _transition(work, mission_id, actor, idempotency_key, "cancelled", Status.CANCELLED, act)
