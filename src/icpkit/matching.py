"""Company matching: CRM accounts to a company universe, by registered domain, then by name.

The rules are described in :mod:`icpkit.enrich`, which uses them to fill account gaps;
:mod:`icpkit.lookalike` uses them to leave known companies out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError, SchemaError

__all__ = ["FREE_MAIL", "domain_keys", "match_companies", "name_keys"]

FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
        "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com",
        "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "protonmail.com",
        "proton.me", "gmx.de", "gmx.net", "gmx.com", "web.de", "mail.com", "mail.ru", "yandex.ru",
        "yandex.com", "qq.com", "163.com", "126.com", "sina.com", "naver.com", "daum.net",
        "zoho.com", "fastmail.com", "tutanota.com", "libero.it", "orange.fr", "free.fr",
        "laposte.net", "t-online.de", "btinternet.com", "comcast.net", "verizon.net", "att.net",
        "sbcglobal.net", "rediffmail.com", "seznam.cz", "wp.pl", "o2.pl", "bigpond.com", "shaw.ca",
        "rogers.com",
    }
)  # fmt: skip

# Legal forms, a leading article and the words that turn a company into its own subsidiary.
_LEGAL = (
    r"inc|incorporated|llc|l l c|llp|lp|ltd|limited|gmbh|mbh|ag|kg|corp|corporation|co|company|"
    r"sa|s a|sas|sarl|srl|spa|s p a|bv|b v|nv|n v|plc|pty|pvt|private|oy|ab|as|aps|kk|sl|sro|"
    r"pte|bhd|sdn"
)
_SUBSIDIARY = (
    r"uk|usa|us|europe|emea|apac|americas|international|intl|global|worldwide|germany|"
    r"deutschland|france|nederland|netherlands|espana|spain|italia|italy|india|canada|australia|"
    r"japan|brasil|brazil|ireland|nordic|nordics|north america|latam|asia"
)
_TAIL = re.compile(rf"(\s(?:{_LEGAL}|{_SUBSIDIARY}))+$")
_HEAD = re.compile(r"^the\s")


# --------------------------------------------------------------------------- keys


@lru_cache(maxsize=1)
def _extractor() -> Any:
    try:
        import tldextract
    except ImportError:
        raise ConfigError(
            "enrichment needs tldextract and rapidfuzz",
            hint="Install them with: pip install 'icpkit[enrich]'",
        ) from None
    # No suffix-list URLs and no cache folder: the snapshot bundled with the package, offline.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False
    )


def _registered(host: str) -> str | None:
    parts = _extractor()(host)
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


@lru_cache(maxsize=1)
def _suffix_array() -> pa.Array:
    return pa.array(sorted(set(_extractor().tlds)), pa.string())


@lru_cache(maxsize=1)
def _free_array() -> pa.Array:
    return pa.array(sorted(FREE_MAIL), pa.string())


def _strings(values: Any) -> pa.Array:
    """Text as one flat Arrow string array (Arrow-backed pandas text, e.g. read from Parquet,
    converts to a chunked array, which concat_arrays and the block joins do not take)."""
    arr = pa.array(pd.Series(values).astype("string"), pa.string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _isin(values: Any, among: Any) -> np.ndarray:
    """Which values are among the others: an Arrow hash lookup (pandas' is a Python loop)."""
    hit = pc.is_in(_strings(values), value_set=pc.drop_null(_strings(among)))
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _regex(values: pd.Series, pattern: str, replacement: str) -> pd.Series:
    out = pc.replace_substring_regex(_strings(values), pattern, replacement)
    return pd.Series(out.to_pandas(), index=values.index, dtype="string")


def _hosts(values: pd.Series) -> pa.Array:
    """Websites, URLs and e-mail addresses → a bare lowercase host (vectorised, Arrow)."""
    arr = _strings(values)
    arr = pc.utf8_trim_whitespace(pc.utf8_lower(arr))
    arr = pc.replace_substring_regex(arr, r"^.*<([^<>]+)>.*$", r"\1")  # 'Jane <jane@acme.io>'
    arr = pc.replace_substring_regex(arr, r"^mailto:", "")
    arr = pc.replace_substring_regex(arr, r"^[a-z][a-z0-9+.\-]*://|^//", "")
    arr = pc.replace_substring_regex(arr, r"[/?#].*$", "")
    arr = pc.replace_substring_regex(arr, r"^.*@", "")  # e-mail, or user:pass@host
    arr = pc.replace_substring_regex(arr, r":\d*$|\.$", "")
    arr = pc.replace_substring_regex(arr, r"^www\d*\.", "")
    ok = pc.match_substring_regex(arr, r"^[^\s./@:]+(\.[^\s./@:]+)+$")
    return pc.if_else(pc.fill_null(ok, False), arr, pa.scalar(None, pa.string()))


def domain_keys(values: Any) -> pd.Series:
    """Registered domains ('acme.co.uk') from websites, URLs or e-mail addresses; free mail → NA.

    Hosts of two labels whose last label is a public suffix are already registered domains;
    only the others (subdomains, 'co.uk'-style suffixes) go through tldextract, once each.
    """
    hosts = pd.Series(_hosts(pd.Series(values, dtype="object")).to_pandas(), dtype="string")
    labels = hosts.str.count(r"\.") + 1
    tld = _regex(hosts, r"^.*\.", "")  # the last label
    suffixes = _suffix_array()

    def known(s: pd.Series) -> np.ndarray:
        arr = _strings(s)
        return np.asarray(
            pc.fill_null(pc.is_in(arr, value_set=suffixes), False).to_numpy(zero_copy_only=False)
        )

    simple = (
        (labels == 2).fillna(False).to_numpy(dtype=bool)
        & known(tld)
        & ~known("*." + tld)
        & ~known(hosts)
    )
    simple = pd.Series(simple, index=hosts.index)
    out = hosts.where(simple)
    rest = hosts[~simple.to_numpy() & hosts.notna().to_numpy()]
    if len(rest):
        lookup = {h: _registered(h) for h in pd.unique(rest.to_numpy(dtype=object))}
        out[rest.index] = rest.map(lookup).astype("string")
    free = pc.fill_null(pc.is_in(_strings(out), value_set=_free_array()), False)
    return out.mask(free.to_numpy(zero_copy_only=False)).reset_index(drop=True)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def name_keys(values: Any) -> pd.Series:
    """Company names reduced to what identifies them: 'The Acme Corp., UK' → 'acme'."""
    arr = _strings(pd.Series(values, dtype="object"))
    if not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():
        arr = pa.array([None if v is None else _fold(v) for v in arr.to_pylist()], pa.string())
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring(arr, "&", " and ")
    arr = pc.replace_substring_regex(arr, r"[^a-z0-9]+", " ")
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.replace_substring_regex(arr, _HEAD.pattern, "")
    # Strip legal forms and subsidiary words from the end, but never the whole name.
    stripped = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, _TAIL.pattern, ""))
    arr = pc.if_else(pc.equal(stripped, ""), arr, stripped)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pd.Series(arr.to_pandas(), dtype="string")


# --------------------------------------------------------------------------- matching


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    s = frame[col].astype("string").str.strip().str.lower()
    return s.mask(s == "")


def _blocks(keys: pa.Array, place: pa.Array) -> list[pa.Array]:
    """Two blocking keys per row: place + the key's first 3 letters, and place + the first
    word's last 4 (a typo rarely hits both ends of a name)."""
    compact = pc.replace_substring(keys, " ", "")
    first = pc.replace_substring_regex(keys, r" .*$", "")
    return [
        pc.binary_join_element_wise("p", place, pc.utf8_slice_codeunits(compact, 0, 3), ":"),
        pc.binary_join_element_wise("s", place, pc.utf8_slice_codeunits(first, -4), ":"),
    ]


def _place(country: pd.Series, city: pd.Series | None) -> pa.Array:
    """'country/city' ('*' for what is unknown): blocks never pair two known, different places."""
    ctry = country.fillna("*")
    town = city.fillna("*").where(country.notna(), "*") if city is not None else "*"
    return _strings(ctry + "/" + town)


def _domain_matches(acc_d: pd.Series, uni_d: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """Account rows matched by a domain that exactly one universe row holds; ambiguous rows."""
    counts = uni_d.value_counts()
    unique_keys = counts[counts == 1].index
    first = pd.Series(np.arange(len(uni_d)), index=uni_d.to_numpy()).loc[lambda s: s.index.notna()]
    first = first[~first.index.duplicated()]
    hit = _isin(acc_d, unique_keys)
    rows = np.flatnonzero(hit)
    matched = pd.DataFrame(
        {
            "row": rows,
            "urow": first.reindex(acc_d.to_numpy()[rows]).to_numpy(dtype=np.int64),
            "method": "domain",
            "score": 100.0,
        }
    )
    shared = _isin(acc_d, counts[counts > 1].index)
    return matched, np.flatnonzero(shared)


def _exact_pairs(acc: pd.DataFrame, uni: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """(account row, universe row) pairs with the same name key: one hash join."""
    left = pd.DataFrame({"row": rows, "k": acc["_nkey"].to_numpy(dtype=object)[rows]})
    right = pd.DataFrame({"urow": np.arange(len(uni)), "k": uni["_nkey"].to_numpy(dtype=object)})
    right = right[_isin(right["k"], left["k"])]
    pairs = left.merge(right, on="k")[["row", "urow"]]
    return pairs.assign(score=100.0, typo=True)


def _fuzzy_pairs(
    acc: pd.DataFrame, uni: pd.DataFrame, rows: np.ndarray, max_block: int
) -> pd.DataFrame:
    """Candidate pairs sharing a block, with their similarity and whether it is a typo away."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA

    # A fuzzy match must be a typo away on a name of 10+ letters whose city agrees (see the
    # end of this function): accounts without a city or with a shorter name can never have
    # one, so they are left out before any pair is formed.
    compact = acc["_nkey"].iloc[rows].str.replace(" ", "", regex=False).str.len()
    clen = compact.fillna(0).to_numpy(dtype=np.int64)
    fit = (clen >= 10) & acc["_city"].iloc[rows].notna().to_numpy(dtype=bool)
    rows, clen = rows[fit], clen[fit]
    a_keys, u_keys = _strings(acc["_nkey"].iloc[rows]), _strings(uni["_nkey"])
    sub = acc.iloc[rows]
    a_blocks = _blocks(a_keys, _place(sub["_country"], sub["_city"]))
    # The universe is blocked by country and city and, when some accounts lack a country (their
    # place reads '*/*'), by neither.
    u_blocks = _blocks(u_keys, _place(uni["_country"], uni["_city"]))
    if sub["_country"].isna().any():
        u_blocks += _blocks(u_keys, _place(pd.Series(pd.NA, index=uni.index, dtype="string"), None))
    a_all, u_all = pa.concat_arrays(a_blocks), pa.concat_arrays(u_blocks)
    a_row = np.tile(rows, len(a_blocks))
    u_row = np.tile(np.arange(len(uni)), len(u_blocks))
    # Block keys as integer codes shared by both sides (Arrow hashing), then a sort-merge join
    # in numpy: a pandas merge on text, with its copies, cost most of the time on 100k x 1M.
    codes = pc.dictionary_encode(pa.concat_arrays([a_all, u_all])).indices
    codes = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    a_code, u_code = codes[: len(a_all)], codes[len(a_all) :]
    wanted = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)
    wanted[a_code[a_code >= 0]] = True
    keep = (u_code >= 0) & wanted[u_code]
    u_code, u_row = u_code[keep], u_row[keep]
    sizes = np.bincount(u_code, minlength=len(wanted))
    keep = sizes[u_code] <= max_block  # a block too big to compare is left out
    u_code, u_row = u_code[keep], u_row[keep]
    order = np.argsort(u_code, kind="stable")
    u_code, u_row = u_code[order], u_row[order]
    a_ok = a_code >= 0
    a_code, a_row = a_code[a_ok], a_row[a_ok]
    lo = np.searchsorted(u_code, a_code, "left")
    n = np.searchsorted(u_code, a_code, "right") - lo
    first = np.repeat(lo - (np.cumsum(n) - n), n)
    row, urow = np.repeat(a_row, n), u_row[first + np.arange(int(n.sum()))]
    # Edits are at least the length difference: pairs further apart cannot be a typo.
    a_len = np.zeros(len(acc), dtype=np.int64)
    a_len[rows] = pc.utf8_length(a_keys).to_numpy(zero_copy_only=False)
    u_len = np.asarray(pc.fill_null(pc.utf8_length(u_keys), 0).to_numpy(zero_copy_only=False))
    a_compact = np.zeros(len(acc), dtype=np.int64)
    a_compact[rows] = clen
    near = np.abs(a_len[row] - u_len[urow]) <= 1 + a_compact[row] // 15
    pair_id = np.sort(row[near] * len(uni) + urow[near])  # once per pair, either block
    pair_id = pair_id[np.diff(pair_id, prepend=-1) != 0]  # (np.unique hashes: slower)
    pairs = pd.DataFrame({"row": pair_id // len(uni), "urow": pair_id % len(uni)})
    pairs = _evidence(acc, uni, pairs)  # cheap integer tests before any string comparison
    if pairs.empty:
        return pairs.assign(score=pd.Series(dtype=float), typo=pd.Series(dtype=bool))
    ak = acc["_nkey"].to_numpy(dtype=object)[pairs["row"].to_numpy()]
    uk = uni["_nkey"].to_numpy(dtype=object)[pairs["urow"].to_numpy()]
    pairs["score"] = process.cpdist(ak, uk, scorer=fuzz.ratio, workers=-1).astype(np.float64)
    # A typo is an edit or two; a higher ratio between two different brands that share a
    # long descriptor ('Pioneera Digital' / 'Pioneercast Digital') is not.
    edits = process.cpdist(ak, uk, scorer=OSA.distance, workers=-1)
    length = pd.Series(ak).str.replace(" ", "").str.len().to_numpy()
    allowed = 1 + length // 15
    # Short names one letter apart are usually two companies (Zoomingo / ZoomInfo, Cortera /
    # Corteva in the hand-checked real sample): a typo is trusted only on a longer name whose
    # city agrees.
    pairs["typo"] = (edits <= allowed) & (length >= 10) & pairs["city"].to_numpy()
    return pairs


def _evidence(acc: pd.DataFrame, uni: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs that no other field contradicts, with whether the city agrees (integer codes)."""
    r, u = pairs["row"].to_numpy(), pairs["urow"].to_numpy()
    keep = np.ones(len(pairs), dtype=bool)
    city = np.zeros(len(pairs), dtype=bool)
    support = np.zeros(len(pairs), dtype=np.int8)
    # A company in another country is another company (subsidiaries keep their own records);
    # same name in another city is, in a big universe, usually a namesake rather than a move;
    # two websites whose names under the suffix differ are two companies ('acme.com' vs
    # 'acme-labs.io'), while 'acme.co.uk' and 'acme.com' may be one group.
    # An industry or a size that disagrees (3x apart) names a namesake too.
    for col in ("_country", "_city", "_dlabel", "_industry"):
        a, b = acc[f"{col}_code"].to_numpy()[r], uni[f"{col}_code"].to_numpy()[u]
        known = (a >= 0) & (b >= 0)
        keep &= ~known | (a == b)
        if col == "_city":
            city = known & (a == b)
        if col == "_industry":
            support = (known & (a == b)).astype(np.int8)
    for col, (how, gap) in _CORROBORATE.items():
        x, z = acc[f"_{col}"].to_numpy()[r], uni[f"_{col}"].to_numpy()[u]
        with np.errstate(invalid="ignore", divide="ignore"):
            if how == "ratio":
                far = np.abs(np.log(np.maximum(x, 1) / np.maximum(z, 1))) > np.log(gap)
            else:
                far = np.abs(x - z) > gap
        known = ~(np.isnan(x) | np.isnan(z))
        keep &= ~(known & far)
        support += known & ~far
    # A name the universe holds more than once is weak evidence on its own: a namesake in the
    # same city is likely, so some other field must agree too.
    weak = (uni["_nfreq"].to_numpy()[u] > 1) & (support == 0)
    return pairs.assign(city=city, weak=weak)[keep]


def _plain_text(s: pd.Series) -> np.ndarray:
    """Text as an object array with '' for missing (comparable element-wise)."""
    return np.asarray(s.fillna("").to_numpy(dtype=object))


def _pick(pairs: pd.DataFrame, threshold: float, margin: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Best candidate per account; ties (or near ties for fuzzy matches) are ambiguous."""
    if pairs.empty:
        return pairs.assign(method=pd.Series(dtype=object)), np.zeros(0, dtype=np.int64)
    ok = pairs[(pairs["score"] >= threshold) & pairs["typo"]]
    # Evidence: the name score, then the city agreeing.
    ok = ok.assign(rank=ok["score"] + 0.5 * ok["city"]).sort_values(
        ["row", "rank"], ascending=[True, False], kind="stable"
    )
    best = ok.drop_duplicates("row", keep="first")
    second = ok[ok.duplicated("row", keep="first")].drop_duplicates("row", keep="first")
    second_rank = second.set_index("row")["rank"].reindex(best["row"]).to_numpy()
    gap = best["rank"].to_numpy() - np.nan_to_num(second_rank, nan=-1e9)
    need = np.where(best["score"].to_numpy() >= 100, 1e-9, margin)
    # A common name with nothing else agreeing is as good as a tie: reported, not used.
    clear = (gap >= need) & ~best["weak"].to_numpy(dtype=bool)
    chosen = best[clear].assign(method="name")
    return chosen[["row", "urow", "method", "score"]], best["row"].to_numpy()[~clear]


def match_companies(
    accounts: Any,
    universe: Any,
    *,
    threshold: float = 85.0,
    margin: float = 4.0,
    max_block: int = 5_000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match accounts to universe rows; returns (matches, ambiguous), one row per account each.

    ``matches``: ``row`` (account position), ``urow`` (universe position, -1 when unmatched),
    ``method`` (domain / name / none), ``score`` (0–100 name similarity; 100 for a domain).
    ``ambiguous``: account positions whose best candidates tie, and by which method.
    """
    acc, uni = _prepared(accounts), _prepared(universe)
    uni["_nfreq"] = uni["_nkey"].map(uni["_nkey"].value_counts()).fillna(0).to_numpy()
    for col in ("_country", "_city", "_dlabel", "_industry"):  # shared codes, -1 for missing
        codes, _ = pd.factorize(pd.concat([acc[col], uni[col]], ignore_index=True))
        acc[f"{col}_code"], uni[f"{col}_code"] = codes[: len(acc)], codes[len(acc) :]
    d_match, d_amb = _domain_matches(acc["_dkey"], uni["_dkey"])
    rest = np.setdiff1d(np.arange(len(acc)), d_match["row"].to_numpy())
    rest = rest[acc["_nkey"].iloc[rest].notna().to_numpy()]
    exact, x_amb = _pick(_evidence(acc, uni, _exact_pairs(acc, uni, rest)), threshold, margin)
    # Only names with no usable exact twin need the (costlier) fuzzy search.
    rest = np.setdiff1d(rest, np.r_[exact["row"].to_numpy(), x_amb])
    fuzzy, f_amb = _pick(
        _evidence(acc, uni, _fuzzy_pairs(acc, uni, rest, max_block)), threshold, margin
    )
    n_amb = np.r_[x_amb, f_amb]
    found = pd.concat([d_match, exact, fuzzy], ignore_index=True)
    out = pd.DataFrame({"row": np.arange(len(acc))})
    out = out.merge(found, on="row", how="left")
    out["urow"] = out["urow"].fillna(-1).astype(np.int64)
    out["method"] = out["method"].fillna("none")
    out["score"] = out["score"].astype(float)
    amb_rows = np.union1d(np.setdiff1d(d_amb, out.loc[out["urow"] >= 0, "row"]), n_amb)
    by_name, by_domain = np.isin(amb_rows, n_amb), np.isin(amb_rows, d_amb)
    amb_method = np.where(
        by_name & by_domain, "domain and name", np.where(by_name, "name", "domain")
    )
    ambiguous = pd.DataFrame({"row": amb_rows, "method": amb_method})
    return out, ambiguous


# Numbers that a namesake rarely shares: (column, the largest gap still read as agreement,
# as a ratio for sizes or a difference for years).
_CORROBORATE = {"employees": ("ratio", 3.0), "annual_revenue": ("ratio", 3.0),
                "founded_year": ("diff", 2.0)}  # fmt: skip


def _number(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float))


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    dom = next((c for c in ("domain", "website", "email") if c in frame.columns), None)
    name = next((c for c in ("name", "company", "account_name") if c in frame.columns), None)
    if dom is None and name is None:
        raise SchemaError(
            "cannot match companies: the table has no domain, website or name column",
            column="domain",
            hint="Map a column to domain or name (see `icp inspect`)",
        )
    dkey = (
        domain_keys(frame[dom]).reset_index(drop=True)
        if dom
        else pd.Series(pd.NA, index=range(len(frame)), dtype="string")
    )
    return pd.DataFrame(
        {
            "_dkey": dkey,
            "_nkey": (
                name_keys(frame[name]).reset_index(drop=True)
                if name
                else pd.Series(pd.NA, index=range(len(frame)), dtype="string")
            ),
            "_country": _text(frame, "country").reset_index(drop=True),
            "_dlabel": _regex(dkey, r"\..*$", ""),  # the name under the suffix
            "_city": _text(frame, "city").reset_index(drop=True),
            "_industry": _text(frame, "industry").reset_index(drop=True),
            **{f"_{c}": _number(frame, c) for c in _CORROBORATE},
        }
    )
