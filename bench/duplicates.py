"""Near-duplicate detection on a generated corpus: signature cost, copy and unrelated similarities, false candidates.

    DEBUG=1 .venv/bin/python -m bench.duplicates /tmp/corpus [--shingle 5]

Each article gets a lightly edited copy (one word in 40 replaced, its last
paragraph dropped, a line added); a copy must score at least the threshold and
the other articles, written from the same vocabulary, well below it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

from articles import duplicates, parsing


def edited(body: str, rng: random.Random, *, drop: bool) -> str:
    """Return a lightly edited copy: one word in 50 replaced, a tagline added, the last paragraph gone if ``drop``."""
    paragraphs = body.split("\n\n")
    kept = "\n\n".join(paragraphs[:-1] if drop and len(paragraphs) > 3 else paragraphs)
    tokens = [("changed" if rng.random() < 1 / 50 else token) for token in kept.split(" ")]
    return " ".join(tokens) + "\n\nThis story was distributed by a wire service."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a directory of seed files (bench.corpus)")
    parser.add_argument("--shingle", type=int, default=duplicates.SHINGLE, help="words per shingle")
    parser.add_argument("--limit", type=int, default=5000, help="files to read at most")
    args = parser.parse_args()
    duplicates.SHINGLE = args.shingle
    duplicates._MIX = duplicates._MIX_ALL[: args.shingle]
    bodies = [parsing.parse(path.read_bytes()).body for path in sorted(args.corpus.rglob("*.txt"))[: args.limit]]
    rng = random.Random(1)
    started = time.perf_counter()
    prints = [duplicates.fingerprint(body) for body in bodies]
    cost = (time.perf_counter() - started) / len(bodies) * 1000
    print(f"shingle {args.shingle} words, {len(bodies)} bodies, {statistics.mean(len(b) for b in bodies):.0f} chars")
    print(f"signature cost: {cost:.3f} ms per body")
    for drop in (False, True):
        copies = [duplicates.fingerprint(edited(body, rng, drop=drop)) for body in bodies]
        scores = [duplicates.jaccard(a.shingles, b.shingles) for a, b in zip(prints, copies, strict=True)]
        caught = sum(bool(set(a.keys) & set(b.keys)) for a, b in zip(prints, copies, strict=True))
        over = sum(score >= duplicates.THRESHOLD for score in scores)
        print(
            f"copies{' less a paragraph' if drop else ''}: Jaccard min {min(scores):.3f}, "
            f"median {statistics.median(scores):.3f}; at the threshold {over}, sharing a band key {caught}"
        )
    by_key = defaultdict(list)
    for i, item in enumerate(prints):
        for key in item.keys:
            by_key[key].append(i)
    pairs = {(a, b) for group in by_key.values() for a in group for b in group if a < b}
    sample = [(rng.randrange(len(prints)), rng.randrange(len(prints))) for _ in range(20000)]
    unrelated = [duplicates.jaccard(prints[a].shingles, prints[b].shingles) for a, b in sample if a != b]
    print(f"unrelated pairs: Jaccard max {max(unrelated):.3f}, mean {statistics.mean(unrelated):.4f}")
    print(f"false candidate pairs among the originals: {len(pairs)}")


if __name__ == "__main__":
    main()
