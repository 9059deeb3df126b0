"""Reading scanned Честный ЗНАК codes (core.marking.codes.parse_code) against biip's own
GS1Message.parse of the same codes, same run, same process.

    uv run python -m bench.marking            # 5 rounds of 20,000 codes each way
    uv run python -m bench.marking --quick    # smoke run

The codes are a realistic mix of what keyboard-mode scanners send at a packing table:
clothes/shoes (91+92 tail) and dairy/water (93) codes, with GS as \\x1d, as «<GS>», as «^]»,
dropped altogether, and with the «]d2» prefix. biip's raw parse gets each code cleaned
(prefix gone, GS as \\x1d: what it can read at all), so it is timed on less work than
parse_code, which does the cleaning, the GS recovery and the checks itself. Rounds
alternate which goes first; the medians are printed with their ratio. The target (issue
16) is ≥ 10,000 codes/s for parse_code.
"""

import argparse
import itertools
import statistics
import time
from collections.abc import Callable

from biip.gs1_messages import GS1Message

from core.marking.codes import clean_scan, parse_code

GS = "\x1d"
TARGET = 10_000


def _ean13(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def codes(n: int) -> list[str]:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789!%&()*+,-.:;_"
    made: list[str] = []
    for i in itertools.islice(itertools.count(), n):
        gtin = _ean13(f"4607{i % 1000:08d}").zfill(14)
        serial13 = "".join(alphabet[(i * 7 + k * 13) % len(alphabet)] for k in range(13))
        crypto = "".join(alphabet[(i * 3 + k * 5) % 62] for k in range(44))
        if i % 2 == 0:
            code = f"01{gtin}21{serial13}{GS}91EE06{GS}92{crypto}"
        else:
            code = f"01{gtin}21{serial13[:6]}{GS}93{crypto[:4]}"
        form = i % 5
        if form == 1:
            code = code.replace(GS, "<GS>")
        elif form == 2:
            code = "]d2" + code.replace(GS, "^]")
        elif form == 3:
            code = code.replace(GS, "")
        made.append(code)
    return made


def rate(step: Callable[[str], object], batch: list[str]) -> float:
    started = time.perf_counter()
    for code in batch:
        step(code)
    return len(batch) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, size = (2, 2_000) if args.quick else (5, 20_000)
    batch = codes(size)
    cleaned = [clean_scan(c) for c in batch]
    # What biip gets: a code it can read (GS restored where the scanner dropped it).
    raw = [parse_code(c).code if GS not in k else k for c, k in zip(batch, cleaned, strict=True)]
    ours: list[float] = []
    theirs: list[float] = []
    for r in range(rounds):
        pair = [(ours, lambda: rate(parse_code, batch)),
                (theirs, lambda: rate(GS1Message.parse, raw))]  # fmt: skip
        for sink, run in pair if r % 2 == 0 else reversed(pair):
            sink.append(run())
    mine, biip = statistics.median(ours), statistics.median(theirs)
    print(f"codes: {size:,} a round, {rounds} rounds (medians)")
    print(f"parse_code (clean + GS recovery + checks): {mine:,.0f} codes/s")
    print(f"biip GS1Message.parse (clean codes only):  {biip:,.0f} codes/s")
    print(f"ratio parse_code / biip: {mine / biip:.1f}×")
    print(f"target ≥ {TARGET:,} codes/s: {'met' if mine >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
