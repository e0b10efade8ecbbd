"""Question texts of docs/benchmark.md §3, word for word."""

from __future__ import annotations

import numpy as np

SYSTEM_PROMPT = "Based on this video, provide the answer directly."

GROUNDING_TEMPLATE = (
    "In a segment of this video, {description}. Your task is to identify the precise time interval of "
    "this change. Please only provide the start and end times in seconds, formatted as "
    "<start_time>-<end_time> (e.g., '14.5-26.2')."
)

COUNTING_QUESTION = (
    "Count the number of circles, squares, and triangles that appear in this video. Be aware that the "
    "shapes can appear in any color and at any angle of rotation. They may be present on one or multiple "
    "frames, and any given frame can contain more than one shape. Provide the answer as three "
    "comma-separated numbers in the format: circles,squares,triangles. For example, if you see 3 circles, "
    "1 square, and 4 triangles, your answer should be '3,1,4'."
)

_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd"}
# The paper's worked examples; other clip counts get a fixed example of their own.
_JIGSAW_EXAMPLES = {6: "341562", 8: "51827463"}


def grounding_question(description: str) -> str:
    return GROUNDING_TEMPLATE.format(description=description)


def jigsaw_example(clips: int) -> str:
    """The example answer quoted in the jigsaw question for ``clips`` clips."""
    if clips in _JIGSAW_EXAMPLES:
        return _JIGSAW_EXAMPLES[clips]
    order = np.random.default_rng(clips).permutation(clips) + 1
    return "".join(str(int(d)) for d in order)


def jigsaw_question(clips: int) -> str:
    example = jigsaw_example(clips)
    word = _NUMBER_WORDS[clips]
    steps = [
        f"the clip at position {example[0]} of this video is the true beginning (the 1st clip of the original video)"
    ]
    for k in range(1, clips - 1):
        steps.append(f"the clip at position {example[k]} is the {_ordinal(k + 1)} part")
    steps.append(f"and finally the clip at position {example[-1]} is the {_ordinal(clips)} part")
    return (
        f"This video is presented as {clips} separate clips, which are in a shuffled order. Your task is to "
        f"determine the correct chronological sequence. Please output {_article(word)} "
        f"{word}-digit number that specifies the order in which to play the clips you are seeing (labeled 1 "
        f"through {clips} by their position). For example, if you decide that "
        + ", ".join(steps)
        + f", then your answer should be '{example}'."
    )


def _ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"{n}th")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
