"""The order feed's group on Redis for /metrics: XINFO GROUPS on the feed's stream (one
round trip). A short timeout: a scrape must not hang on a Redis that is away."""

import redis

from core.metrics import FeedFigures
from core.orders.feed import GROUP, STREAM


def connect(url: str) -> "redis.Redis[str]":
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=1,
                                socket_connect_timeout=1)  # fmt: skip


def feed_figures(client: "redis.Redis[str]", stream: str = STREAM) -> FeedFigures:
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:
        return FeedFigures()  # no stream yet: nothing has been fed
    except redis.RedisError:
        return FeedFigures(reachable=False)
    for group in groups:
        if group.get("name") == GROUP:
            lag = group.get("lag")  # None: Redis cannot tell (entries deleted mid-stream)
            return FeedFigures(lag=None if lag is None else int(lag),
                               pending=int(group.get("pending", 0)),
                               consumers=int(group.get("consumers", 0)))  # fmt: skip
    return FeedFigures()
