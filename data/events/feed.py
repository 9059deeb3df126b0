"""The order feed on Redis Streams (core.orders.feed.OrderFeed) and its dead letters.

The group `wms-consumers` is created (with the stream, MKSTREAM) at id 0 when missing: a
WMS started for the first time reads the orders already in the feed, not only the ones
published after it (nothing confirmed before the first start is lost; a repeat is
harmless). A delivery's count comes from the group's pending list: XREADGROUP's new
entries are on their first delivery, and every XAUTOCLAIM adds one, which XPENDING reports.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from core.orders.feed import DEAD_LETTER_FIELDS, DEAD_LETTERS, GROUP, STREAM, Delivery

Fields = dict[str, str]


def connect(url: str) -> "redis.Redis[str]":
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=10,
                                socket_connect_timeout=5, health_check_interval=30)  # fmt: skip


def ensure_group(client: "redis.Redis[str]", stream: str = STREAM) -> None:
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


class RedisOrderFeed:
    """One consumer of the group; `stream` and `dead_letters` are the §7 keys unless a test
    gives others."""

    def __init__(
        self, client: "redis.Redis[str]", consumer: str, *, stream: str = STREAM,
        dead_letters: str = DEAD_LETTERS,
    ) -> None:  # fmt: skip
        self.client, self.consumer = client, consumer
        self.stream, self.dead_letters = stream, dead_letters
        self._ready = False

    def _group(self) -> None:
        if not self._ready:
            ensure_group(self.client, self.stream)
            self._ready = True

    def claim(self, min_idle_ms: int, count: int) -> list[Delivery]:
        self._group()
        _, entries, gone = self.client.xautoclaim(
            self.stream, GROUP, self.consumer, min_idle_ms, "0-0", count=count
        )
        if gone:  # deleted from the stream while pending: nothing left to do with them
            self.client.xack(self.stream, GROUP, *gone)
        entries = [(i, f) for i, f in entries if f is not None]
        if not entries:
            return []
        pending = self.client.xpending_range(
            self.stream, GROUP, min=entries[0][0], max=entries[-1][0], count=len(entries) * 10,
            consumername=self.consumer,
        )  # fmt: skip
        times = {p["message_id"]: int(p["times_delivered"]) for p in pending}
        return [Delivery(i, dict(f), times.get(i, 1)) for i, f in entries]

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        self._group()
        answer = self.client.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=count,
                                        block=block_ms or None)  # fmt: skip
        return [Delivery(i, dict(f), 1) for _, entries in answer or [] for i, f in entries]

    def ack(self, *entry_ids: str) -> None:
        self.client.xack(self.stream, GROUP, *entry_ids)

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        fields = {**delivery.fields, "error": error, "entry_id": delivery.entry_id}
        with self.client.pipeline(transaction=True) as pipe:  # MULTI: copied and acked
            pipe.xadd(self.dead_letters, fields)  # type: ignore[arg-type]
            pipe.xack(self.stream, GROUP, delivery.entry_id)
            pipe.execute()


@dataclass(frozen=True)
class DeadLetter:
    id: str  # its id in the dead letters
    at: datetime
    entry_id: str  # its id in the feed
    type: str
    order_id: str
    source: str
    error: str
    fields: Fields


def dead_letters(client: "redis.Redis[str]", *, key: str = DEAD_LETTERS,
                 limit: int = 200) -> list[DeadLetter]:  # fmt: skip
    """The newest first."""
    found = []
    for id_, fields in client.xrevrange(key, count=limit):
        at = datetime.fromtimestamp(int(id_.split("-")[0]) / 1000, UTC)
        found.append(DeadLetter(
            id_, at, fields.get("entry_id", ""), fields.get("type", ""),
            fields.get("order_id", ""), fields.get("source", ""), fields.get("error", ""), fields,
        ))  # fmt: skip
    return found


def retry_dead_letter(client: "redis.Redis[str]", letter_id: str, *, key: str = DEAD_LETTERS,
                      stream: str = STREAM) -> str | None:  # fmt: skip
    """Put the entry's own fields back on the feed as a new entry and delete the dead
    letter, at once; the new entry's id, or None when the letter is gone (retried already)."""
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(key)  # a second click meanwhile: one of the two retries, not both
                found = pipe.xrange(key, letter_id, letter_id)
                if not found:
                    pipe.reset()
                    return None
                fields = {k: v for k, v in found[0][1].items() if k not in DEAD_LETTER_FIELDS}
                pipe.multi()
                pipe.xadd(stream, fields)  # type: ignore[arg-type]
                pipe.xdel(key, letter_id)
                new_id, _ = pipe.execute()
                return str(new_id)
            except redis.WatchError:  # the dead letters changed: look again
                continue
