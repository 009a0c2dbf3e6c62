"""Write demo/corpus.jsonl: 300 sentences on ten topics, made from phrases we wrote, for `make demo`.

Deterministic: running it again writes the same file. Each topic has its own vocabulary, so searches show
sensible neighbours even with the reference server's word-hashing vectors.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

TOPICS = {
    "cooking": (
        ["The chef", "My grandmother", "A home cook", "The recipe", "Our kitchen team", "The baker"],
        [
            "simmers the tomato sauce with garlic and basil",
            "bakes sourdough bread in a hot oven",
            "boils the pasta for nine minutes in salted water",
            "roasts vegetables with olive oil and rosemary",
            "whisks eggs and sugar into a light sponge cake",
        ],
    ),
    "astronomy": (
        ["The telescope", "An astronomer", "The space probe", "The observatory", "A student", "The satellite"],
        [
            "observed a distant spiral galaxy",
            "measured the orbit of a comet around the sun",
            "photographed the rings of Saturn",
            "detected light from an exploding star",
            "mapped craters on the surface of the moon",
        ],
    ),
    "finance": (
        ["The central bank", "An investor", "The stock market", "The pension fund", "A trader", "The bank"],
        [
            "raised interest rates to slow inflation",
            "bought government bonds with a fixed yield",
            "fell sharply after weak quarterly earnings",
            "diversified its portfolio across index funds",
            "reported strong revenue growth this quarter",
        ],
    ),
    "running": (
        ["The marathon runner", "My coach", "A beginner", "The athlete", "Our running club", "The sprinter"],
        [
            "trains with long slow runs every weekend",
            "stretches the hamstrings after each race",
            "improved the finish time by four minutes",
            "runs interval sessions on the track",
            "rests two days before the marathon race",
        ],
    ),
    "gardening": (
        ["The gardener", "My neighbour", "A botanist", "The allotment club", "Our school", "The nursery"],
        [
            "plants tulip bulbs in the autumn soil",
            "waters the tomato plants every morning",
            "prunes the roses in late winter",
            "adds compost to the vegetable beds",
            "grows herbs in pots on the sunny balcony",
        ],
    ),
    "programming": (
        ["The developer", "Our team", "A junior engineer", "The compiler", "The test suite", "The reviewer"],
        [
            "found a bug in the parser code",
            "refactored the function into smaller modules",
            "wrote unit tests for the database layer",
            "deployed the web service to production",
            "fixed a memory leak in the server loop",
        ],
    ),
    "weather": (
        ["The forecast", "A meteorologist", "The storm", "The weather station", "The radar", "The report"],
        [
            "warned of heavy rain and strong wind tonight",
            "predicted snow in the mountains this weekend",
            "recorded the hottest summer day on record",
            "tracked a hurricane moving toward the coast",
            "expects fog in the valley at dawn",
        ],
    ),
    "music": (
        ["The orchestra", "A pianist", "The band", "Our choir", "The violinist", "The composer"],
        [
            "performed a symphony by Beethoven",
            "practised scales on the piano for an hour",
            "recorded a new album in the studio",
            "sang a folk song in four-part harmony",
            "tuned the strings before the concert",
        ],
    ),
    "medicine": (
        ["The doctor", "A nurse", "The hospital", "The pharmacist", "The surgeon", "A researcher"],
        [
            "prescribed antibiotics for the infection",
            "measured the patient's blood pressure",
            "vaccinated children against measles",
            "explained the side effects of the medicine",
            "tested a new treatment in a clinical trial",
        ],
    ),
    "travel": (
        ["The traveller", "Our family", "A backpacker", "The tour guide", "The airline", "The hotel"],
        [
            "booked a train ticket to Vienna",
            "lost the luggage at the airport",
            "hiked through the mountains of Norway",
            "recommended a small beach near Lisbon",
            "upgraded our room with a view of the sea",
        ],
    ),
}


def sentences() -> list[dict[str, str]]:
    """Every subject with every phrase of its topic: 6 x 5 = 30 sentences a topic."""
    rows = []
    for topic, (subjects, phrases) in TOPICS.items():
        for number, (subject, phrase) in enumerate(itertools.product(subjects, phrases), 1):
            rows.append({"id": f"{topic}-{number:02d}", "topic": topic, "text": f"{subject} {phrase}."})
    return rows


def main() -> None:
    """Write the corpus beside the repository's demo/ folder."""
    target = Path(__file__).resolve().parent.parent / "demo" / "corpus.jsonl"
    target.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in sentences()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
