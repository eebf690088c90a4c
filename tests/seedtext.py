"""Build seed-format texts for tests."""

from __future__ import annotations

BOILERPLATE = (
    "Want to leave a tip?\n\n"
    "We answer to you. Help keep our content free of advertisers and big tech censorship "
    "by leaving a tip today.\n"
    "Want to join the conversation?\n"
    "Already a subscriber?\n"
)


def seed_text(
    *,
    title: str = "Town council approves new bridge",
    subtitle: str = "The vote was unanimous",
    paragraphs: tuple[str, ...] = ("The council met on Monday.", "Construction starts in spring."),
    author: str | None = "Jane Reporter",
    publisher: str | None = "Blaze Media LLC",
    year: int = 2024,
    credit: str | None = "Photo by Some Photographer/Getty Images",
) -> str:
    """Return a seed in the example's layout; pass None to leave a part out."""
    parts = []
    if publisher:
        parts.append(f"© {year} {publisher}. All rights reserved.\n")
    parts.append(f"{title}\n")
    if credit:
        parts.append(f"{credit}\n")
    parts.append(f"\n{title}\n\n{subtitle}\n\n")
    parts.append("".join(f"{p}\n\n" for p in paragraphs))
    parts.append(BOILERPLATE)
    if author:
        parts.append(
            f"{author}\n\n{author}\n\n{author} is a staff writer. Follow on Twitter @{author.split()[0].lower()}."
        )
    return "".join(parts)
