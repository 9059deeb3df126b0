"""The order feed's group on Redis for /metrics: XINFO GROUPS on the feed's stream (one
round trip). A short timeout: a scrape must not hang on a Redis that is away."""

import redis

from core.metrics import FeedFigures
from core.orders.feed import STREAM
from data.events.status import feed_group


def connect(url: str) -> "redis.Redis[str]":
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=1,
                                socket_connect_timeout=1)  # fmt: skip


def feed_figures(client: "redis.Redis[str]", stream: str = STREAM) -> FeedFigures:
    try:
        group = feed_group(client, stream)
    except redis.RedisError:
        return FeedFigures(reachable=False)
    if group is None:
        return FeedFigures()  # nothing has been fed yet
    lag = group.get("lag")  # None: Redis cannot tell (entries deleted mid-stream)
    return FeedFigures(lag=None if lag is None else int(lag),  # type: ignore[call-overload]
                       pending=int(group.get("pending", 0)),  # type: ignore[call-overload]
                       consumers=int(group.get("consumers", 0)))  # type: ignore[call-overload]  # fmt: skip
