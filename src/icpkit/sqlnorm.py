"""Normalising raw CRM values inside generated SQL, exactly where it is simple.

``icp score`` normalises a raw export through :mod:`icpkit.intake` (Python). The SQL engine
reads the CRM's own columns, so it repeats the simple, common part of that work as SQL
expressions, built as sqlglot trees:

- numbers, money and employee counts: ``1,200``, ``$1.2M``, ``EUR 3 bn``, ``£750 K``,
  ``51-200``, ``1K-5K``, ``10,001+`` — text becomes ``<digits>e<exponent>`` and one CAST,
  so the double is rounded once, from the same decimal, as Python's ``float(Decimal)``;
- country names and codes → ISO code or region, industry labels → sector, yes/no words →
  flags: a VALUES lookup generated from intake's own tables (each key's value is what
  intake returns for it);
- technology lists (``Salesforce;AWS``) → one ``tech_*`` flag, by a regex generated from
  the alias table.

Exact means: whenever the SQL gives a value, it is the value ``icp score`` gives. A shape
the SQL does not know reads as missing, and :func:`not_exact` names those shapes, so the
query's header comment and a warning can tell the user to run ``icp normalize`` first.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlglot import exp

from .intake.normalizers._base import PLACEHOLDERS
from .intake.normalizers.booleans import FALSE_WORDS, TRUE_WORDS, parse_bool
from .intake.normalizers.countries import parse_country
from .intake.normalizers.industries import _RULES as _INDUSTRY_RULES
from .intake.normalizers.industries import _table as _industry_table
from .intake.normalizers.lists import _aliases as _tech_aliases
from .intake.normalizers.lists import slugify
from .intake.normalizers.numbers import MULTIPLIERS

__all__ = ["NORMALISED_KINDS", "Lookup", "Norm", "not_exact"]

# Kinds with a SQL normaliser; any other kind is read as it is (the canonical semantics).
NORMALISED_KINDS = frozenset(
    {"number", "money", "employees", "year", "country", "industry", "bool", "list", "category"}
)

# Python's str.isspace() characters: intake collapses every run of them to one space.
_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_INT = r"[0-9]{1,3}(,[0-9]{3})+|[0-9]+"
_DEC = r"([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?"
# Scale words and their powers of ten: intake's own table.
_SCALES = {word: int(factor.adjusted()) for word, factor in MULTIPLIERS.items()}
_DOUBLE = exp.DataType.build("double")
# Currency markers read before or after the amount (intake reads many more).
_CODES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "INR",
    "CNY", "SGD", "HKD", "BRL", "MXN", "ZAR", "KRW", "ILS", "AED", "SAR", "TRY", "CZK",
)  # fmt: skip
_SYMBOLS = "\\$|€|£"
_CODES_RE = "|".join([*_CODES, *(c.lower() for c in _CODES)])  # intake: all upper or all lower
_SCALE = (
    "("
    + "|".join(
        "".join(f"[{c}{c.upper()}]" for c in w) + "\\.?"
        for w in sorted(_SCALES, key=len, reverse=True)
    )
    + ")"
)


def _concat(*parts: exp.Expr) -> exp.Expr:
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p, safe=True)
    return out


def has(x: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Is(this=x, expression=exp.null()))


def round_count(value: exp.Expr) -> exp.Expr:
    """intake's employee count: rounded half up; 0 or less means 'not filled in' (NULL)."""
    rounded = exp.Floor(
        this=exp.Add(this=value, expression=exp.cast(exp.Literal.string("0.5"), _DOUBLE))
    )
    positive = exp.GT(this=rounded.copy(), expression=exp.cast(exp.Literal.string("0"), _DOUBLE))
    return exp.Case(ifs=[exp.If(this=positive, true=rounded)], default=exp.null())


_NOT_EXACT = {
    "number": "numbers with a sign, parentheses, a decimal comma, spaces or apostrophes "
    "between digit groups, a percent sign or a scale word other than K/M/B/thousand/"
    "million/billion",
    "money": "amounts with another currency marker than $, €, £ or a common ISO code, two "
    "markers, a sign or parentheses, a decimal comma, ranges ('$1M-$5M') and words like "
    "'about', 'over' or 'under'",
    "employees": "counts with decimals (other than '1.5K'), words ('about 500', '50 "
    "employees', 'self-employed'), '<10' and European digit grouping ('10.000')",
    "year": "years written with words or as dates ('FY2019', '2019-01-01')",
    "country": "country spellings outside intake's table (typos intake corrects, other "
    "punctuation, accents or letters that only case-fold alike) and regions ('EMEA')",
    "industry": "industry labels outside intake's table (intake matches them by keyword "
    "or reads them as Other)",
    "bool": "yes/no words outside intake's list with odd separators ('closed_won')",
    "list": "list items that fold to the same name only by Unicode case folding",
    "category": "labels with characters that only Unicode case folding joins (none known)",
}


def not_exact(kind: str) -> str | None:
    """What the SQL normaliser of ``kind`` reads as missing where ``icp score`` reads a value."""
    return _NOT_EXACT.get(kind)


@dataclass(frozen=True)
class Lookup:
    """A VALUES table: key (folded text) → value; one CTE in the query."""

    name: str
    rows: tuple[tuple[str, str], ...]


class Norm:
    """SQL normalisers for one dialect. ``regex(x, pattern)`` and friends come from sqlbuild.py."""

    def __init__(
        self,
        like: Callable[[exp.Expr, str], exp.Expr],
        extract: Callable[[exp.Expr, str, int], exp.Expr],
        replace: Callable[[exp.Expr, str, str], exp.Expr],
        text: Callable[[str], exp.Expr],
    ) -> None:
        self.like, self.extract, self.replace, self.lit = like, extract, replace, text

    # --- text -------------------------------------------------------------------------

    def clean(self, t: exp.Expr) -> exp.Expr:
        """Inner whitespace collapsed, ends trimmed, placeholders ('N/A', '-') and '' → NULL."""
        collapsed = exp.Trim(this=self.replace(t, "[" + _SPACE + "]+", " "))
        is_placeholder = exp.In(
            this=exp.Lower(this=collapsed.copy()),
            expressions=[self.lit(p) for p in sorted(PLACEHOLDERS)],
        )
        return exp.Case(
            ifs=[
                exp.If(this=is_placeholder, true=exp.null()),
                exp.If(
                    this=exp.EQ(this=collapsed.copy(), expression=self.lit("")), true=exp.null()
                ),
            ],
            default=collapsed,
        )

    # --- numbers ----------------------------------------------------------------------

    def number(self, kind: str, s: exp.Expr) -> exp.Expr:
        """A number of ``kind`` (number, money, employees, year) from clean text (see
        :meth:`clean`); NULL when the shape is not one SQL reads exactly."""
        if kind == "employees":
            return self._employees(s)
        if kind == "year":
            return self._cases(s, [(r"^([0-9]{4})$", 1, None)])
        if kind == "money":
            # a marker before the amount ('$1.2M', 'EUR 3 bn') or after it ('3 bn €', '5 USD')
            before = (
                f"^(({_SYMBOLS}) ?|({_CODES_RE}) ?)?({_DEC}) ?{_SCALE}?\\+?$"  # 4: digits, 8: scale
            )
            after = f"^({_DEC}) ?{_SCALE}?\\+? ?( ({_CODES_RE})|{_SYMBOLS})$"  # 1: digits, 5: scale
            return self._cases(s, [(before, 4, 8), (after, 1, 5)])
        return self._cases(s, [(f"^({_DEC})$", 1, None)])

    def _cases(self, s: exp.Expr, forms: list[tuple[str, int, int | None]]) -> exp.Expr:
        """CASE over number shapes: (pattern, group of the digits, group of the scale word)."""
        ifs = [
            exp.If(this=self.like(s, pattern), true=self._value(s, pattern, num, scale))
            for pattern, num, scale in forms
        ]
        return exp.Case(ifs=ifs, default=exp.null())

    def _value(self, s: exp.Expr, pattern: str, num: int, scale: int | None) -> exp.Expr:
        """CAST('<digits without commas>e<power of ten>' AS DOUBLE): one exact rounding."""
        digits = self.replace(self.extract(s, pattern, num), ",", "")
        if scale is None:
            return exp.cast(digits, _DOUBLE)
        lowered = exp.Lower(this=self.extract(s, pattern, scale))
        word = exp.Trim(this=lowered, expression=self.lit("."), position="TRAILING")
        power = exp.Case(
            this=exp.Coalesce(this=word, expressions=[self.lit("")]),
            ifs=[exp.If(this=self.lit(w), true=self.lit(str(p))) for w, p in _SCALES.items()],
            default=self.lit("0"),
        )
        return exp.cast(_concat(digits, self.lit("e"), power), _DOUBLE)

    def _employees(self, s: exp.Expr) -> exp.Expr:
        """intake's employee reading for '1,234', '1.5K', '10,001+', '51-200', '1-5K'."""
        single = f"^({_INT}) ?([kK])?\\+?$"  # groups: 1 number, 3 K
        dec_k = r"^([0-9]+\.[0-9]+) ?([kK])\+?$"  # groups: 1 number, 2 K
        rng = f"^({_INT}) ?([kK])? ?(-|–|—|to) ?({_INT}) ?([kK])?$"  # 1, 3 K, 5, 7 K
        lo_k, hi_k = self.extract(s, rng, 3), self.extract(s, rng, 7)
        lo_digits = self.replace(self.extract(s, rng, 1), ",", "")
        hi_digits = self.replace(self.extract(s, rng, 5), ",", "")
        # "1-5K" means 1K-5K when the bare lower number is below the upper one (intake's rule).
        below = exp.LT(
            this=exp.cast(lo_digits.copy(), _DOUBLE), expression=exp.cast(hi_digits.copy(), _DOUBLE)
        )
        lo_power = exp.Case(
            ifs=[
                exp.If(
                    this=exp.or_(has(lo_k), exp.and_(has(hi_k.copy()), below)), true=self.lit("3")
                )
            ],
            default=self.lit("0"),
        )
        hi_power = exp.Case(
            ifs=[exp.If(this=has(hi_k.copy()), true=self.lit("3"))], default=self.lit("0")
        )
        lo = exp.cast(_concat(lo_digits, self.lit("e"), lo_power), _DOUBLE)
        hi = exp.cast(_concat(hi_digits, self.lit("e"), hi_power), _DOUBLE)
        # The midpoint (lo + hi) / 2 does not depend on which bound is the larger.
        mid = exp.Div(
            this=exp.paren(exp.Add(this=lo, expression=hi)),
            expression=exp.cast(self.lit("2"), _DOUBLE),
            typed=False,
            safe=False,
        )
        value = exp.Case(
            ifs=[
                exp.If(this=self.like(s, single), true=self._k(s, single, 1, 3)),
                exp.If(this=self.like(s, dec_k), true=self._k(s, dec_k, 1, 2)),
                exp.If(this=self.like(s, rng), true=mid),
            ],
            default=exp.null(),
        )
        return round_count(value)

    def _k(self, s: exp.Expr, pattern: str, num: int, k: int) -> exp.Expr:
        digits = self.replace(self.extract(s, pattern, num), ",", "")
        has_k = exp.Not(this=exp.Is(this=self.extract(s, pattern, k), expression=exp.null()))
        power = exp.Case(ifs=[exp.If(this=has_k, true=self.lit("3"))], default=self.lit("0"))
        return exp.cast(_concat(digits, self.lit("e"), power), _DOUBLE)

    # --- lookups ----------------------------------------------------------------------

    def industry_key(self, s: exp.Expr) -> exp.Expr:
        """intake's fold_industry in SQL: lower, '&' and punctuation to spaces, no 'and'."""
        x: exp.Expr = exp.Lower(this=s)
        x = self.replace(x, "[&_\\-/,.;:()'’]+", " ")
        x = _concat(self.lit(" "), x, self.lit(" "))
        x = self.replace(x, " (and )+", " ")
        return exp.Trim(this=self.replace(x, " +", " "))

    def industry(self, s: exp.Expr, key: exp.Expr, listed: exp.Expr) -> exp.Expr:
        """The sector: intake's table by folded key, else its keyword rules, else 'Other'.

        The rules use word boundaries, which every engine reads alike on ASCII text only:
        a label with other characters that is not in the table reads as missing.
        """
        ascii_key = self.like(key, "^[ -~]*$")
        ifs = [
            exp.If(this=exp.Is(this=s.copy(), expression=exp.null()), true=exp.null()),
            exp.If(
                this=exp.Not(this=exp.Is(this=listed, expression=exp.null())), true=listed.copy()
            ),
            exp.If(this=exp.Not(this=ascii_key), true=exp.null()),
        ]
        for pattern, sector in industry_rules():
            ifs.append(exp.If(this=self.like(key, pattern), true=self.lit(sector)))
        return exp.Case(ifs=ifs, default=self.lit("Other"))

    def list_has_items(self, raw: exp.Expr) -> exp.Expr:
        """True when the list holds an item intake keeps (not only 'none', 'n/a' or '-').

        Junk items are cut out (each pass removes at least every other one of a run: three
        passes clear runs of up to seven); what is left must hold a character of an item.
        """
        sep = "[" + _SEP + "]"
        space = "[" + _SPACE.replace("\n", "").replace("\r", "") + "]"
        junk = f"{sep}{space}*[\"']*(none|n/a|-)[\"']*{space}*{sep}"
        x: exp.Expr = _concat(self.lit(";"), exp.Lower(this=raw), self.lit(";"))
        for _ in range(3):
            x = self.replace(x, junk, ";")
        return self.like(x, f"[^{_SEP}\"'{_SPACE}]")

    def flag_in_list(self, slug: str, raw: exp.Expr, s: exp.Expr, items: exp.Expr) -> exp.Expr:
        """'true' when an item of the list names the technology ``slug``, else 'false';
        NULL when the list is missing (``s``: its clean text) or holds no item (``items``)."""
        hit = self.like(exp.Lower(this=raw), _item_pattern(slug))
        return exp.Case(
            ifs=[
                exp.If(this=exp.Is(this=s.copy(), expression=exp.null()), true=exp.null()),
                exp.If(this=exp.Not(this=items.copy()), true=exp.null()),
                exp.If(this=hit, true=self.lit("true")),
            ],
            default=self.lit("false"),
        )


# --- lookup tables --------------------------------------------------------------------


def _agreeing(
    spellings: set[str], parse: Callable[[str], str | None]
) -> tuple[tuple[str, str], ...]:
    """key → value where every case variant of the key parses to the same value."""
    rows: dict[str, str] = {}
    for text in spellings:
        text = " ".join(text.split())
        if not text:
            continue
        key = text.lower()
        if key in rows or key.casefold() != key:
            continue
        values = {parse(v) for v in (text, key, text.upper(), text.title())}
        if len(values) == 1 and (value := values.pop()) is not None:
            rows[key] = value
    return tuple(sorted(rows.items()))


def _csv_rows(name: str) -> list[dict[str, str]]:
    data = resources.files("icpkit.intake.normalizers") / "data" / name
    with data.open(encoding="utf-8") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def country_lookup(part: str) -> Lookup:
    """Spellings intake knows → ISO code (part 'code') or region (part 'region')."""
    spellings: set[str] = set()
    for row in _csv_rows("countries.csv"):
        for col in ("alpha2", "alpha3", "name", "official_name", "common_name"):
            spellings.add(row.get(col) or "")
        spellings.update((row.get("names") or "").split("|"))
    spellings.update(row["alias"] for row in _csv_rows("country_aliases.csv"))
    index = 0 if part == "code" else 1

    def parse(text: str) -> str | None:
        (out, problem) = parse_country(text)
        return None if problem else out[index]

    return Lookup(f"_icp_country_{part}", _agreeing(spellings, parse))


@cache
def industry_lookup() -> Lookup:
    """intake's industry table: folded label → sector."""
    return Lookup("_icp_industry", tuple(sorted(_industry_table().items())))


@cache
def industry_rules() -> tuple[tuple[str, str], ...]:
    """intake's keyword rules as regexes every engine reads (no lookahead: RE2 has none)."""
    out = []
    for pattern, sector in _INDUSTRY_RULES:
        # 'invest(?!igat)': invest, then the end or anything but 'igat'.
        pattern = pattern.replace(
            "invest(?!igat)", "invest($|[^i]|i$|i[^g]|ig$|ig[^a]|iga$|iga[^t])"
        )
        if "(?" in pattern.replace("(?:", ""):
            raise AssertionError(f"industry rule {pattern!r} needs a regex feature RE2 lacks")
        out.append((r"\b(?:" + pattern + ")", sector))
    return tuple(out)


@cache
def bool_lookup() -> Lookup:
    def parse(text: str) -> str | None:
        (value,), _ = parse_bool(text)
        return None if value is None else ("true" if value else "false")

    return Lookup("_icp_yes_no", _agreeing(set(TRUE_WORDS | FALSE_WORDS), parse))


_SEP = ";,|•\n\r"


def _item_pattern(slug: str) -> str:
    """A regex over the lowercased list that holds where one item reads as ``slug``.

    An item is a known alias of the technology (spaces, dots, hyphens and underscores
    between its words as intake ignores them), or an unknown item whose slug is ``slug``.
    """
    sep = "[" + _SEP + "]"
    space = "[" + _SPACE.replace("\n", "").replace("\r", "") + "]"
    gap = "[" + _SPACE.replace("\n", "").replace("\r", "") + ".\\-_]"
    alternatives: set[str] = set()
    for key, name in _tech_aliases().items():
        if slugify(name) != slug:
            continue
        alternatives.add((gap + "+").join(_escape(w) for w in key.split(" ")))
        if " " not in key:  # intake also tries the item with its spaces removed
            alternatives.add((gap + "*").join(_escape(c) for c in key))
    # Unknown items spelled like the slug ("power-bi" for power_bi) read as it too.
    parts = slug.split("_")
    other = "[^0-9a-z" + _SEP + "]"
    slug_alt = f"{other}*" + f"{other}+".join(_escape(p) for p in parts) + f"{other}*"
    body = "(" + "|".join(sorted(alternatives)) + ")" if alternatives else "(?!x)x"
    lead = f"{space}*[\"']*{gap}*"
    trail = f"{gap}*[\"']*{space}*"
    return f"(^|{sep})({lead}{body}{trail}|{slug_alt})($|{sep})"


def _escape(text: str) -> str:
    """Escape regex metacharacters in a way RE2, POSIX ARE and Java all read alike."""
    return "".join(("\\" + c) if not c.isalnum() and c != " " else c for c in text)
