"""The patient search query: what reception typed so far, turned into one SQL query.

Names match in any order, partially, without accents or case: every typed word
must occur in ``patient.name_key`` (a trigram GIN index), at the start of a name
word for one or two letters, anywhere for three or more. MRNs, national IDs and
member numbers match by prefix (pattern-ops btree indexes, queried as byte-wise
ranges so bound parameters keep the index); phone numbers in any format match by
E.164 prefix (``077 123``, ``+263 77``, ``0026377``) or as a digit fragment.

Ranking: identifiers that match exactly, then identifier or phone prefixes, then
names (whole words before word starts before fragments), then alphabetical.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select

from mic_desktop.models import MedicalAidPlan, MedicalAidScheme, Patient
from mic_desktop.services.errors import ValidationError
from mic_desktop.services.patients.contact_details import normalise_phone

MIN_SEARCH_LENGTH = 2
_MRN = re.compile(r"^(MIC)?(\d+)$")
_PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")


def national_id_key() -> ColumnElement[str]:
    return func.mic_id_key(Patient.national_id)


def member_number_key() -> ColumnElement[str]:
    return func.mic_id_key(Patient.medical_aid_member_number)


def summary_select() -> Select[Any]:
    """The columns of a search result, with the medical-aid plan's name."""
    return (
        select(
            Patient.id,
            Patient.mrn,
            Patient.first_name,
            Patient.last_name,
            Patient.date_of_birth,
            Patient.sex,
            Patient.phone,
            Patient.national_id,
            (MedicalAidScheme.name + " " + MedicalAidPlan.name).label("plan_name"),
            Patient.medical_aid_member_number,
        )
        .outerjoin(MedicalAidPlan, MedicalAidPlan.id == Patient.medical_aid_plan_id)
        .outerjoin(MedicalAidScheme, MedicalAidScheme.id == MedicalAidPlan.scheme_id)
        .where(Patient.deleted_at.is_(None))
    )


def search_query(typed: str, region: str, limit: int) -> Select[Any] | None:
    """The query for ``typed``, or None when too little was typed to search."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    compact = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if len(compact) < MIN_SEARCH_LENGTH and len(text.replace(" ", "")) < MIN_SEARCH_LENGTH:
        return None
    matches: list[ColumnElement[bool]] = []  # any of these finds a patient
    exact: list[ColumnElement[bool]] = []  # ranked first
    prefixed: list[ColumnElement[bool]] = []  # ranked second
    mrn = _MRN.match(compact)
    if mrn is not None and (mrn.group(1) or len(mrn.group(2)) >= 3):
        full = "MIC" + mrn.group(2)
        exact.append(Patient.mrn == full)
        prefixed.append(_prefix(Patient.mrn, full))
    if len(compact) >= 3 and any(ch.isdigit() for ch in compact):
        exact += [national_id_key() == compact, member_number_key() == compact]
        prefixed += [_prefix(national_id_key(), compact), _prefix(member_number_key(), compact)]
    if _PHONE_CHARS.match(text):
        _phone_conditions(text, region, exact, prefixed, matches)
    matches += prefixed
    score: ColumnElement[int] | None = None
    tokens = [token for token in text.split() if any(ch.isalnum() for ch in token)]
    if tokens and any(ch.isalpha() for ch in text) and not (mrn and mrn.group(1)):
        token_matches = []
        scores = []
        for token in tokens:
            key = _key(token)
            word_start = Patient.name_key.like(literal("% ") + key + "%")
            if _approximate_length(token) >= 3:
                token_matches.append(Patient.name_key.like(literal("%") + key + "%"))
            else:
                token_matches.append(word_start)
            whole_word = Patient.name_key.like(literal("% ") + key + " %")
            scores.append(case((whole_word, 3), (word_start, 2), else_=1))
        matches.append(and_(*token_matches))
        score = sum(scores[1:], scores[0])  # type: ignore[arg-type]
    if not matches:
        return None
    rank = case(
        (or_(*exact) if exact else literal(False), 0),
        (or_(*prefixed) if prefixed else literal(False), 1),
        else_=2,
    )
    # Rank the matching patients on narrow rows first; join the plan names to the few kept.
    order = [rank] + ([score.desc()] if score is not None else [])
    ranked = (
        select(
            Patient.id,
            rank.label("rank"),
            (score if score is not None else literal(0)).label("score"),
        )
        .where(Patient.deleted_at.is_(None), or_(*matches))
        .order_by(*order, Patient.last_name, Patient.first_name, Patient.id)
        .limit(limit)
        .subquery("ranked")
    )
    return (
        summary_select()
        .join(ranked, ranked.c.id == Patient.id)
        .order_by(
            ranked.c.rank,
            ranked.c.score.desc(),
            Patient.last_name,
            Patient.first_name,
            Patient.id,
        )
    )


def _prefix(column: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a byte-wise range a pattern-ops index serves."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column.op("~>=~")(prefix), column.op("~<~")(upper))


def _key(token: str) -> Any:
    """The search key of a typed token, computed once per query by the database."""
    return select(func.mic_search_key(literal(token))).scalar_subquery()


def _phone_conditions(
    text: str,
    region: str,
    exact: list[ColumnElement[bool]],
    prefixed: list[ColumnElement[bool]],
    matches: list[ColumnElement[bool]],
) -> None:
    digits = re.sub(r"\D", "", text)
    country = str(phonenumbers.country_code_for_region(region))
    stripped = text.strip()
    try:
        e164 = normalise_phone(stripped, region) if len(digits) >= 6 else None
    except ValidationError:
        e164 = None
    if e164 is not None:
        exact.append(Patient.phone == e164)
    if stripped.startswith("+") and len(digits) >= 5:
        prefixed.append(_prefix(Patient.phone, "+" + digits))
    elif digits.startswith("00") and len(digits) >= 7:
        prefixed.append(_prefix(Patient.phone, "+" + digits[2:]))
    elif digits.startswith("0") and not digits.startswith("00") and len(digits) >= 4:
        prefixed.append(_prefix(Patient.phone, "+" + country + digits[1:]))
    elif not digits.startswith("0") and len(digits) >= 4:
        matches.append(Patient.phone.like("%" + digits + "%"))


def _approximate_length(token: str) -> int:
    """Letters and digits of ``token`` once accents are dropped (as the database will)."""
    decomposed = unicodedata.normalize("NFKD", token)
    return sum(1 for ch in decomposed if ch.isalnum())
