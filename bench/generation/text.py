"""Article text: seeded paragraph pools per reading level, cut into sections with citation markers.

Lay readers get short words and sentences (the readability check targets grade 8), students a mix,
clinicians the technical register; a new version rewords one section's last paragraph.
"""

from __future__ import annotations

import random

from bench.generation.shared import AUDIENCES

# Short words and short sentences for lay readers (the readability check targets grade 8).
LAY_SENTENCES = [
    "Your doctor may ask about your {thing} and how long it has been like this.",
    "Some people with {cond} feel well for a long time.",
    "Others notice {thing} that comes and goes.",
    "A simple blood test can show if your {thing} is too high or too low.",
    "It helps to keep a note of when the {thing} gets worse.",
    "Tell your care team if you have new {thing} or if it will not go away.",
    "Most people can keep up their work, school and home life.",
    "You do not have to face this on your own.",
    "Ask what each test is for and what the result means for you.",
    "Bring a friend or a family member to your visit if that helps.",
    "{Cond} can run in families, so your doctor may ask about your parents.",
    "Your {thing} may change as you get older.",
    "A healthy diet, good sleep and regular walks can help.",
    "Do not stop a medicine without talking to your doctor first.",
    "Some tests need you to fast the night before.",
    "The result is one part of the picture, not the whole story.",
    "Write down your questions before you go in.",
    "If the {thing} is mild, you may only need a check once a year.",
    "Call for help at once if you have chest pain or trouble breathing.",
    "Children with {cond} may need extra checks as they grow.",
    "Many people find it helps to talk with others who have {cond}.",
    "Your nurse can show you how to look after your {thing} at home.",
]
TECH_SENTENCES = [
    "In {cond}, serum markers correlate poorly with {thing} severity in adults.",
    "Longitudinal cohort data suggest that {thing} predicts fracture risk independently of age.",
    "Differential diagnosis includes secondary causes, which should be excluded before referral.",
    "Genetic testing is indicated when the phenotype and biochemistry are concordant.",
    "Management is multidisciplinary and depends on the dominant clinical manifestation.",
    "Evidence for pharmacological treatment of {thing} in {cond} remains limited.",
    "Baseline imaging documents {thing} and guides subsequent monitoring intervals.",
    "Clinicians should review concomitant medications that may exacerbate {thing}.",
    "Randomised trials have mostly enrolled paediatric populations with severe disease.",
    "Guidelines recommend reassessment when symptoms progress or new {thing} develops.",
    "The reference interval varies with age, sex and the assay used by the laboratory.",
    "Observational studies report heterogeneous outcomes across treatment centres.",
]
THINGS = [
    "pain",
    "tiredness",
    "bone pain",
    "swelling",
    "stiffness",
    "weakness",
    "cramps",
    "headaches",
    "sleep",
    "weight",
    "appetite",
    "mood",
    "skin",
    "teeth",
    "joints",
]
HEADINGS = [
    "What it is",
    "Why it happens",
    "Signs to look for",
    "Tests",
    "What the results mean",
    "Treatment",
    "Living with it",
    "Medicines",
    "Diet and exercise",
    "When to get help",
    "Outlook",
    "Questions to ask",
    "Research",
    "Key points",
]
SECTIONS = 10  # x ~150 words = ~1,500 words per audience


class TextBank:
    """Paragraph pools per register; an article's text is a choice of paragraphs + its markers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lay = [self._paragraph(LAY_SENTENCES) for _ in range(300)]
        self.tech = [self._paragraph(TECH_SENTENCES) for _ in range(300)]
        # Students get a mix (their target is grade 12), clinicians the technical register.
        self.mixed = [self._paragraph(TECH_SENTENCES + LAY_SENTENCES) for _ in range(300)]

    def _paragraph(self, sentences: list[str], words: int = 70) -> str:
        out: list[str] = []
        count = 0
        while count < words:
            sentence = self.rng.choice(sentences)
            out.append(sentence)
            count += len(sentence.split())
        return " ".join(out)

    def pool(self, audience: str) -> list[str]:
        """The paragraphs in the register of `audience`."""
        if audience in ("patient", "caregiver"):
            return self.lay
        return self.mixed if audience == "student" else self.tech


def fill(template: str, *, cond: str, thing: str) -> str:
    """A template sentence or paragraph with the condition and the symptom put in."""
    return (
        template.replace("{cond}", cond)
        .replace("{Cond}", cond[:1].upper() + cond[1:])
        .replace("{thing}", thing)
    )


def article_texts(
    bank: TextBank, rng: random.Random, *, condition: str, markers: list[str]
) -> dict[str, list[str]]:
    """Section blocks per audience; every marker is cited once in every audience's text."""
    texts: dict[str, list[str]] = {}
    for audience in AUDIENCES:
        pool = bank.pool(audience)
        blocks = []
        per_section = max(1, len(markers) // SECTIONS)
        for s in range(SECTIONS):
            cited = (
                markers[s * per_section : (s + 1) * per_section]
                if s < SECTIONS - 1
                else markers[s * per_section :]
            )
            blocks.append(_section(pool, rng, s=s, condition=condition, cited=cited))
        texts[audience] = blocks
    return texts


def _section(
    pool: list[str], rng: random.Random, *, s: int, condition: str, cited: list[str]
) -> str:
    thing = rng.choice(THINGS)
    first = fill(rng.choice(pool), cond=condition, thing=thing)
    second = fill(rng.choice(pool), cond=condition, thing=thing)
    marks = " ".join(f"[@{m}]" for m in cited)
    body = f"## {HEADINGS[s % len(HEADINGS)]}\n\n{first} {marks}".rstrip()
    if s % 3 == 1:
        items = "\n".join(
            f"- {fill(rng.choice(THINGS), cond=condition, thing=thing).capitalize()}"
            for _ in range(4)
        )
        body += f"\n\n{items}"
    return f"{body}\n\n{second}"


def join_texts(blocks: dict[str, list[str]]) -> dict[str, str]:
    """Each audience's sections as one Markdown text."""
    return {audience: "\n\n".join(parts) for audience, parts in blocks.items()}
