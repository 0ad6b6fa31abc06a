"""Names and sizes every part of the generator (and the benchmark's runner) agrees on.

Django-free, so bench/generate.py can import it before django.setup(); bench/measure.py reads
the fixed slugs, the password and the conditions from here too.
"""

from __future__ import annotations

from datetime import datetime

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - throw-away benchmark database only
FEATURED_SLUG = "bench-featured"
WRITE_PATH_SLUGS = {5: "bench-versions-5", 50: "bench-versions-50"}
AUDIENCES = ("patient", "caregiver", "student", "clinician")
CITATIONS_PER_ARTICLE = 20
RELATED_PER_ARTICLE = 10
WORDS_PER_AUDIENCE = 1500

CONDITIONS = [
    "hypophosphatasia",
    "osteoporosis",
    "osteomalacia",
    "rickets",
    "hyperparathyroidism",
    "hypoparathyroidism",
    "Paget disease",
    "osteogenesis imperfecta",
    "scoliosis",
    "gout",
    "anaemia",
    "thalassaemia",
    "haemochromatosis",
    "coeliac disease",
    "Crohn disease",
    "hypothyroidism",
    "hyperthyroidism",
    "diabetes",
    "kidney stones",
    "chronic kidney disease",
    "nephrotic syndrome",
    "asthma",
    "bronchiectasis",
    "sarcoidosis",
    "lupus",
    "rheumatoid arthritis",
    "psoriasis",
    "eczema",
    "migraine",
    "epilepsy",
    "multiple sclerosis",
    "myasthenia",
    "glaucoma",
    "cataract",
    "macular degeneration",
    "tinnitus",
    "vertigo",
    "hepatitis",
    "cirrhosis",
    "pancreatitis",
    "gallstones",
    "endometriosis",
    "menopause",
    "preeclampsia",
    "hypertension",
    "heart failure",
    "atrial fibrillation",
    "angina",
    "stroke",
    "phenylketonuria",
]


def whole_ms(dt: datetime) -> datetime:
    """Whole milliseconds, as the hash chain keeps them."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)
