"""Write the broken-and-awkward-files corpus into tests/corpus/files (deterministic).

Run once when a case is added (``python tests/corpus/make_corpus.py``), commit the files,
then add the case's expected outcomes to tests/golden/corpus.yaml by hand after reading
them. Every case is a shape seen in real exports or in the attack run of issue 15.
"""

from __future__ import annotations

import bz2
import gzip
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent / "files"
HEADER = ["Id", "Name", "Industry", "NumberOfEmployees", "BillingCountry", "AnnualRevenue"]
INDUSTRIES = ["Software", "Retail", "Financial Services", "Healthcare", "Education"]
COUNTRIES = ["United States", "Germany", "France", "Japan", "Brazil"]


def rows(n: int = 200, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    return [
        [
            f"001{i:05d}",
            f"Company {i}",
            rng.choice(INDUSTRIES),
            str(rng.choice([12, 45, 230, 1200, 8000])),
            rng.choice(COUNTRIES),
            str(rng.choice([1e6, 2.5e7, 3e8])),
        ]
        for i in range(n)
    ]


def csv_text(data: list[list[str]], header: list[str] = HEADER, sep: str = ",") -> str:
    def cell(v: str) -> str:
        if any(c in v for c in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "\n".join(sep.join(cell(v) for v in r) for r in [header, *data]) + "\n"


def lines_with(index: int, line: str, n: int = 200) -> str:
    text = csv_text(rows(n)).splitlines()
    text[index] = line
    return "\n".join(text) + "\n"


def write(name: str, content: str | bytes) -> None:
    path = HERE / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)


def excel(name: str, sheets: dict[str, list[list[object]]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = True
    for title, data in sheets.items():
        sheet = book.active if first else book.create_sheet(title)
        assert sheet is not None
        sheet.title = title
        first = False
        for r in data:
            sheet.append(r)
    book.save(HERE / name)


def typed_rows(n: int = 200) -> list[list[object]]:
    return [[r[0], r[1], r[2], int(r[3]), r[4], float(r[5])] for r in rows(n)]


def parquet(name: str, table: object) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, HERE / name)  # type: ignore[arg-type]


CASES: dict[str, Callable[[], None]] = {}


def case(fn: Callable[[], None]) -> Callable[[], None]:
    CASES[fn.__name__] = fn
    return fn


@case
def text_cases() -> None:
    base = csv_text(rows())
    write("clean.csv", base)
    write("ragged_short_row.csv", lines_with(50, "00100049,Short Row,Retail"))
    write("ragged_long_row.csv", lines_with(60, "00100059,Long,Retail,10,France,5,extra,more"))
    write("unterminated_quote.csv", lines_with(70, '00100069,"Acme Corp,Retail,10,France,5'))
    write("unterminated_quote_last_row.csv", base + '00199999,"Never closed,Retail,1,Peru,1\n')
    write("nul_in_one_cell.csv", lines_with(80, "00100079,Nul\0Corp,Retail,10,France,5"))
    write("mostly_nul_bytes.csv", b"Id,Name\n" + b"\0\0\0\0" * 400 + b"\n")
    write(
        "unquoted_comma_korea.csv", lines_with(90, "00100089,Hanil,Retail,10,Korea, Republic of,5")
    )
    write("accounts_export_no_extension", base)
    write("header_only.csv", ",".join(HEADER) + "\n")
    write("header_only_crlf_no_newline.csv", ",".join(HEADER))
    write("empty.csv", b"")
    write("blank_lines_only.csv", "\n\n  \n\n")
    write("header_then_blank_lines.csv", ",".join(HEADER) + "\n\n\n\n")
    lines = base.splitlines()
    write(
        "mixed_line_endings.csv", "\r\n".join(lines[:100]) + "\r\n" + "\n".join(lines[100:]) + "\n"
    )
    write("bare_cr_line_ends.csv", "\r".join(lines) + "\r")
    write(
        "bare_cr_inside_quoted_field.csv", lines_with(20, '00100019,"Two\rLines",Retail,1,Peru,1')
    )
    write(
        "bare_cr_inside_unquoted_field.csv", lines_with(20, "00100019,Two\rLines,Retail,1,Peru,1")
    )
    write("crlf.csv", base.replace("\n", "\r\n"))
    write(
        "cp1252.csv",
        csv_text(
            [["1", "Société Générale", "Financial Services", "5000", "France", "1e9"], *rows(50)]
        ).encode("cp1252"),
    )
    write("utf16_tab_bom.csv", csv_text(rows(50), sep="\t").encode("utf-16"))
    write("utf8_bom.csv", b"\xef\xbb\xbf" + base.encode())
    write(
        "mixed_encoding.csv",
        base.encode()
        + "00199998,José,Retail,1,Spain,1\n".encode()
        + b"00199999,Ren\xe9e,Retail,1,France,1\n",
    )
    write("semicolon.csv", csv_text(rows(), sep=";"))
    write("tab_separated.tsv", csv_text(rows(), sep="\t"))
    write("pipe_separated.csv", csv_text(rows(), sep="|"))
    write("excel_sep_line.csv", "sep=;\n" + csv_text(rows(), sep=";"))
    write(
        "salesforce_report_footer.csv",
        base + '\n"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n"Generated By: Jane Doe"\n',
    )
    write("trailing_delimiter.csv", "\n".join(line + "," for line in lines) + "\n")
    write("duplicate_headers.csv", csv_text(rows(), header=[*HEADER[:-1], "Name"]))
    write("blank_header_cell.csv", csv_text(rows(), header=[*HEADER[:-1], ""]))
    write("long_field_300k.csv", lines_with(30, "00100029," + "x" * 300_000 + ",Retail,1,Peru,1"))
    write("long_header_200kb.csv", csv_text(rows(20), header=[*HEADER[:-1], "H" * 200_000]))
    wide = [f"col_{j}" for j in range(2000)]
    write(
        "two_thousand_columns.csv",
        csv_text([[str(i * j) for j in range(2000)] for i in range(20)], header=wide),
    )
    write(
        "many_rejects.csv",
        "\n".join(x if i % 10 or i == 0 else x + ",extra" for i, x in enumerate(lines)) + "\n",
    )
    write(
        "quote_inside_unquoted_value.csv",
        lines_with(40, '00100039,The 5" Screen Co,Retail,10,France,5'),
    )
    write("one_column.csv", "Name\n" + "\n".join(f"Company {i}" for i in range(50)) + "\n")
    write(
        "whitespace_values.csv", csv_text([[r[0], "  ", r[2], " ", r[4], "\t"] for r in rows(50)])
    )
    write(
        "control_characters_in_values.csv",
        lines_with(10, "00100009,Bell\x07Corp\x1b[31m,Retail,10,France,5"),
    )
    write(
        "zero_width_and_emoji.csv",
        lines_with(10, "00100009,\u200b=Zero Width,Retail 🛒,10,France,5"),
    )
    write(
        "unicode_header.csv",
        csv_text(
            rows(), header=["Идентификатор", "名前", "Industry", "Employees", "País", "Revenue"]
        ),
    )


@case
def value_cases() -> None:
    data = rows()
    data[3][3] = "9" * 400
    data[4][5] = "9" * 400
    data[5][3] = "-50"
    data[6][3] = "lots"
    data[7][5] = "$1.96M"
    data[8][5] = "1e308"
    write("absurd_numbers.csv", csv_text(data))
    names = rows()
    for i, bad in enumerate(
        [
            '=HYPERLINK("http://evil","x")',
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tTab",
            "\rCR",
            "％ percent",
            "＝FULLWIDTH()",
            "\u200b=ZWSP()",
        ]
    ):
        names[i][1] = bad
    write("formula_injection_names.csv", csv_text(names, header=["=Id", *HEADER[1:]]))
    html = rows()
    for i, bad in enumerate(
        ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>"]
    ):
        html[i][1] = bad
    write("html_in_names.csv", csv_text(html))
    empty_col = [[*r, ""] for r in rows()]
    write("empty_fax_column.csv", csv_text(empty_col, header=[*HEADER, "Fax"]))
    dupes = rows()
    dupes[1][0] = dupes[0][0]
    dupes[1][3] = "99999"
    write("duplicate_ids_conflicting.csv", csv_text(dupes))


@case
def compressed_and_binary_cases() -> None:
    base = csv_text(rows()).encode()
    write("accounts.csv.gz", gzip.compress(base, mtime=0))
    write("accounts.csv.bz2", bz2.compress(base))
    write("corrupt.csv.gz", gzip.compress(base, mtime=0)[:200])
    write("xlsx_named_csv.csv", b"PK\x03\x04\x14\x00\x06\x00rest-of-an-xlsx")
    write("pdf_named_csv.csv", b"%PDF-1.4\n%binary")
    write("notes.xyz", b"hello")


@case
def json_cases() -> None:
    records = [dict(zip(HEADER, r, strict=True)) for r in rows()]
    lines = [json.dumps(r) for r in records]
    write("accounts.json", json.dumps(records))
    write("wrapped_results.json", json.dumps({"results": records}))
    bad = list(lines)
    bad[7] = '{"Id": "x", "Name": '
    write("jsonl_one_bad_line.jsonl", "\n".join(bad) + "\n")
    write("jsonl_all_bad.jsonl", "not json\n{also not\n")
    write("jsonl_scalar_line.jsonl", "\n".join([*lines[:100], "42", *lines[100:]]) + "\n")
    write("json_nested_100k_deep.json", "[" * 100_000 + "]" * 100_000)
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(60):
        deep = {"k": deep}
    write(
        "json_nested_objects_60_deep.json", json.dumps([{"Name": "A", "meta": deep}, {"Name": "B"}])
    )
    write("json_empty_array.json", "[]")
    write("json_scalars.json", "[1, 2, 3]")
    write("json_syntax_error.json", '[{"a": 1},\n {"a": 2,,}]')
    write("json_with_nul.json", json.dumps([{"Name": "Nul\u0000Corp", "Industry": "Retail"}] * 5))
    write("json_all_null_key.json", json.dumps([{"Name": f"C{i}", "Fax": None} for i in range(20)]))


@case
def excel_cases() -> None:
    head = [*HEADER, "Fax"]
    body = [[*r, None] for r in typed_rows()]
    excel("excel_empty_fax_column.xlsx", {"Accounts": [head, *body]})
    deals = [["Id", "AccountId", "StageName", "Amount", "CloseDate", "IsWon"]] + [
        [
            f"006{i:05d}",
            f"001{i:05d}",
            "Closed Won" if i % 3 else "Closed Lost",
            1000 * i,
            "2024-01-31",
            i % 3 != 0,
        ]
        for i in range(100)
    ]
    excel(
        "excel_accounts_then_deals.xlsx",
        {"Accounts": [HEADER, *typed_rows()], "Opportunities": deals},
    )
    excel(
        "excel_title_rows.xlsx",
        {"Report": [["Account report"], ["Generated 2024-05-01"], [], HEADER, *typed_rows()]},
    )
    merged = [["Account", None, None, "Size", None, None], HEADER, *typed_rows()]
    excel("excel_group_header_row.xlsx", {"Sheet1": merged})
    excel("excel_empty_sheet.xlsx", {"Sheet1": []})
    excel("excel_header_only.xlsx", {"Sheet1": [HEADER]})


@case
def parquet_cases() -> None:
    import pyarrow as pa

    parquet(
        "parquet_nested_types.parquet",
        pa.table(
            {
                "Name": ["A", "B", "C"],
                "tags": [["x", "y"], None, []],
                "hq": [{"city": "Paris", "n": 1}, None, {"city": "Lima", "n": 2}],
            }
        ),
    )
    parquet("parquet_all_null_column.parquet", pa.table({"Name": ["A", "B"], "Fax": pa.nulls(2)}))
    write("parquet_corrupt.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1")


def main() -> None:
    if HERE.exists():
        shutil.rmtree(HERE)
    HERE.mkdir(parents=True)
    for make in CASES.values():
        make()
    print(f"{len(list(HERE.iterdir()))} files in {HERE}")


if __name__ == "__main__":
    main()
