"""Invented people: first and last names combined at random, MRNs, member IDs (no real PHI)."""

import random
import string
from datetime import date, timedelta

from workqueue.domain.identifiers import MBI_LETTERS

FIRST_NAMES_F = (
    "Ada", "Beatriz", "Carmen", "Dolores", "Elena", "Fatima", "Grace", "Hana", "Imani", "Joan",
    "Keiko", "Latoya", "Marisol", "Nadia", "Olga", "Priya", "Quinn", "Rosa", "Sunita", "Teresa",
    "Ursula", "Valerie", "Wanda", "Ximena", "Yolanda", "Zora", "Aaliyah", "Bernadette", "Chloe",
    "Deborah", "Evelyn", "Frances", "Gloria", "Helen", "Irene", "Janet", "Kathleen", "Linda",
    "Margaret", "Nora", "Patricia", "Ruth", "Sandra", "Thu", "Vivian", "Wen", "Yasmin", "Lucia",
)
FIRST_NAMES_M = (
    "Abdul", "Bernard", "Carlos", "Darnell", "Emeka", "Frank", "Gustavo", "Harold", "Ivan",
    "Jamal", "Kenji", "Luis", "Mohammed", "Nikolai", "Oscar", "Pedro", "Rajesh", "Samuel",
    "Tomas", "Victor", "Walter", "Xavier", "Yusuf", "Arthur", "Benjamin", "Curtis", "Dennis",
    "Eugene", "Floyd", "George", "Howard", "Isaac", "Joseph", "Kevin", "Leonard", "Marcus",
    "Nathan", "Patrick", "Raymond", "Stanley", "Terrence", "Vincent", "Wei", "Duc", "Hector",
)
LAST_NAMES = (
    "Abernathy", "Achebe", "Alvarado", "Andersen", "Baptiste", "Bautista", "Bergstrom",
    "Blackwood", "Castellanos", "Chaudhry", "Cohen", "Dagher", "Delacroix", "Dubois", "Eriksen",
    "Esposito", "Farouk", "Fitzgerald", "Gallagher", "Goldberg", "Gutierrez", "Haddad",
    "Hargrove", "Ibarra", "Iwasaki", "Jablonski", "Jovanovic", "Kaminski", "Kowalczyk",
    "Lindqvist", "Lowery", "MacAllister", "Mahmoud", "Marchetti", "Mbeki", "Nakamura",
    "Nwachukwu", "Okonkwo", "Oyelaran", "Pacheco", "Petrosyan", "Quintero", "Radcliffe",
    "Ramanathan", "Rosenthal", "Sandoval", "Schaefer", "Sorensen", "Takahashi", "Thibodeaux",
    "Underwood", "Valenzuela", "Vasquez", "Whitfield", "Winslow", "Xiong", "Yamamoto",
    "Yilmaz", "Zamora", "Zielinski", "Brennan", "Calloway", "Donnelly", "Espinoza", "Fairbanks",
    "Greenberg", "Holloway", "Iverson", "Kirkpatrick", "Lachance", "Montoya", "Novak",
)


def person(rng: random.Random) -> tuple[str, str, str]:
    """(first name, last name, sex) for an invented patient."""
    sex = rng.choice("FM")
    first = rng.choice(FIRST_NAMES_F if sex == "F" else FIRST_NAMES_M)
    return first, rng.choice(LAST_NAMES), sex


def birth_date(rng: random.Random, today: date, low_age: int, high_age: int) -> date:
    age_days = rng.randint(low_age * 365 + 30, high_age * 365 + 300)
    return today - timedelta(days=age_days)


def mrn(index: int) -> str:
    """Medical record number: a site prefix and a zero-padded sequence."""
    return f"IC{400000 + index * 7:07d}"


def mbi(rng: random.Random) -> str:
    """A Medicare Beneficiary Identifier shaped per CMS (DOMAIN.md §10.2), invented."""
    letter = lambda: rng.choice(MBI_LETTERS)  # noqa: E731
    either = lambda: rng.choice(MBI_LETTERS + string.digits)  # noqa: E731
    digit = lambda: rng.choice(string.digits)  # noqa: E731
    return (rng.choice("123456789") + letter() + either() + digit() + letter() + either()
            + digit() + letter() + letter() + digit() + digit())


def member_id(rng: random.Random, prefix: str, digits: int = 9) -> str:
    """A plan member ID: payer prefix (BCBS-style three letters) and digits."""
    return prefix + "".join(rng.choice(string.digits) for _ in range(digits))


def group_number(rng: random.Random) -> str:
    return f"GRP{rng.randint(10000, 99999)}"
