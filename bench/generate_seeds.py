"""Write N deterministic seed-format files, for benchmarks and manual testing.

    python bench/generate_seeds.py --files 10000 --out /tmp/seeds

The same N and seed always give byte-identical files. About one file in 40 is a
plain "title + body" text and one in 60 has CRLF line endings, as real dumps do;
authors and publishers repeat across files as they do in a real archive.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

WORDS = (
    "county council officials immigration detainers release federal agency report policy court judge "
    "school budget election voters senator governor mayor police city state community health hospital "
    "market prices energy climate water housing transport bridge rail highway airport safety workers "
    "union strike wages business company investors data privacy technology science research university"
).split()
FIRST = "Phil Jane Maria Omar Li Sam Ana Tom Rosa Yuki Ivan Grace Noor Ben Zoe Raj Emma Carl Ines Kofi".split()
LAST = "Shiver Doe Garcia Haddad Wei Patel Novak Brown Rossi Tanaka Petrov Okafor Khan Silva Berg Ito".split()
PUBLISHERS = ("Blaze Media LLC", "Daily Ledger Inc", "Riverside Press", "Northern Courier Ltd", "Metro Wire Co")
BOILERPLATE = (
    "Want to leave a tip?\n\nWe answer to you. Help keep our content free of advertisers and big tech "
    "censorship by leaving a tip today.\nWant to join the conversation?\nAlready a subscriber?\n"
)


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    """Return a sentence of random archive words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def seed(index: int, rng: random.Random) -> str:
    """Return the text of seed number ``index``."""
    title = f"{sentence(rng, 6, 12)[:-1]} ({index})"
    paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(4, 12))]
    if index % 40 == 39:
        return title + "\n\n" + "\n\n".join(paragraphs) + "\n"
    author = f"{rng.choice(FIRST)} {LAST[index % len(LAST)]}"
    parts = [f"© {2015 + index % 10} {PUBLISHERS[index % len(PUBLISHERS)]}. All rights reserved.", title]
    if index % 3:
        parts.append(f"Photo by {rng.choice(FIRST)} {rng.choice(LAST)}/Getty Images")
    parts += ["", title, "", sentence(rng, 5, 10), ""]
    parts += [p + "\n" for p in paragraphs]
    parts += [BOILERPLATE + author, "", author, "", f"{author} is a staff writer. Reach them on Twitter @w{index}."]
    return "\n".join(parts)


def generate(count: int, out: Path, *, random_seed: int = 2024) -> list[Path]:
    """Write ``count`` seeds under ``out`` (100 per sub-directory) and return their paths."""
    rng = random.Random(random_seed)
    paths = []
    for index in range(count):
        text = seed(index, rng)
        if index % 60 == 59:
            text = text.replace("\n", "\r\n")
        path = out / f"{index // 100:04d}" / f"seed-{index:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000, help="How many seed files to write.")
    parser.add_argument("--out", type=Path, required=True, help="Directory to write them into.")
    parser.add_argument("--seed", type=int, default=2024, help="Random seed (same seed, same files).")
    args = parser.parse_args()
    paths = generate(args.files, args.out, random_seed=args.seed)
    print(f"wrote {len(paths)} seed files under {args.out}")


if __name__ == "__main__":
    main()
