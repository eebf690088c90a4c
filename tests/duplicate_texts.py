"""Bodies for the near-duplicate tests: a story, lightly edited copies of it, and another story on the same topic."""

from __future__ import annotations

STORY = (
    "The county board voted on Tuesday to close the old river bridge to heavy trucks after engineers found "
    "cracks in two of its steel supports during a routine inspection last month.",
    "Drivers of vehicles heavier than ten tons will have to use the highway crossing six miles to the north, "
    "which adds about fifteen minutes to the trip between the quarry and the rail yard.",
    "Board chair Maria Lopez said the decision was made reluctantly but that safety had to come first. "
    "She said repairs could begin next spring if the state approves an emergency grant.",
    "Local business owners warned that the detour would raise delivery costs and asked the board to set a "
    "firm date for reopening the bridge. The board agreed to review the plan again in ninety days.",
)

# Syndicated: a few words changed, a wire credit added at the end.
COPY = (
    "The county board voted Tuesday to close the old river bridge to heavy trucks after engineers discovered "
    "cracks in two of its steel supports during a routine inspection last month.",
    STORY[1],
    "Board chair Maria Lopez said the decision was made reluctantly but that safety must come first. "
    "She said repairs could begin next spring if the state approves an emergency grant.",
    STORY[3],
    "This story was distributed by the Regional News Service.",
)

# The same news, written by another reporter: the same names and facts, other sentences.
SAME_TOPIC = (
    "Heavy trucks are banned from the old river bridge starting next week, the county board decided on "
    "Tuesday, after an inspection turned up cracked steel supports.",
    "Trucks over ten tons must now detour across the highway crossing to the north. Quarry operators say "
    "the longer route will cost them time and money on every load sent to the rail yard.",
    "Maria Lopez, who chairs the board, called the vote a hard one. The county hopes an emergency grant "
    "from the state will pay for repairs, which could start in the spring.",
    "The board will take up the question of reopening the bridge again in three months.",
)

SHORT = ("Bridge closed to trucks.",)


def body(paragraphs: tuple[str, ...]) -> str:
    """Return the body the parser makes of these paragraphs."""
    return "\n\n".join(paragraphs)
