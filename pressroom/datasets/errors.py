"""The one exception of the data centre's input side, and its stable machine codes."""

from __future__ import annotations

from typing import Any

#: Every code DatasetInputError and RowError carry, with what it means (for developers;
#: people read the message). Codes are stable: the API returns them and the UI may key on them.
CODES: dict[str, str] = {
    # Reading a file
    "too_large": "the upload or the fetched body is larger than the limit (checked before parsing)",
    "empty_file": "no bytes, only whitespace, or no non-blank row",
    "not_a_table": "not CSV/XLSX: binary, PDF, image, HTML, JSON, old .xls, a single column …",
    "unreadable_xlsx": "a damaged workbook, or one that unpacks too large",
    "too_many_rows": "more data rows than the limit",
    "too_many_columns": "more columns than the limit",
    "several_sheets": "a workbook with several non-empty sheets and none chosen (details.sheets)",
    "unknown_sheet": "the chosen sheet is not in the workbook (details.sheets)",
    "bad_header_row": "the chosen header row is blank or outside the sheet",
    "merged_header": "merged cells in the header row (details.cells)",
    "merged_cells": "merged cells inside the table body (details.cells)",
    "blank_header": "a column with values but no name in the header row (details.column)",
    "duplicate_header": "two columns with the same name (details.column)",
    "no_rows": "a header row but no data rows",
    "malformed_records": "pushed/fetched records are not a list of flat objects",
    # Values (RowError codes; mixed_number_format also on a preview column)
    "mixed_number_format": "a column writes numbers both as 1.234,5 and as 1,234.5",
    "number_format": "a cell does not use the format chosen for its column",
    "not_a_number": "text where a number is expected",
    "not_an_integer": "a fraction where a whole number is expected",
    "not_a_date": "a value that is not a date",
    "not_a_year": "a value that is not a year (1900–2100)",
    "unknown_region_code": "not one of the 35 BPS kabupaten/kota codes of Jawa Tengah",
    "not_allowed": "a value outside the column's allowed values",
    "out_of_range": "a number below the column's minimum or above its maximum",
    "too_long": "a text longer than the limit",
    "required": "an empty cell in a required column",
    "duplicate_key": "the key column repeats a value",
    "missing_column": "a required column of the schema is not in the update",
    "unknown_column": "the update has a column the schema does not (a schema change)",
    # Sources
    "source_bad_url": "not an http(s) URL with a host",
    "source_private_address": "the host resolves to a private/loopback/link-local/reserved address",
    "source_timeout": "the source did not answer in time",
    "source_unreachable": "DNS failure, connection refused or reset, TLS failure, too many redirects",
    "source_http_error": "the source answered with an HTTP error status (details.status)",
    "source_html": "the source answered with a web page instead of data",
    "ckan_error": "a CKAN error body (success: false) or an answer that is not the CKAN API's",
}


class DatasetInputError(Exception):
    """Input a person must correct, or a source that failed.

    ``code`` is one of CODES, ``message`` a lazy string in the reader's language, and
    ``details`` plain JSON-able values (row numbers, column names, limits) for the UI/API.
    """

    def __init__(self, code: str, message: object, details: dict[str, Any] | None = None):
        assert code in CODES, code
        super().__init__(code)
        self.code = code
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return str(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The JSON error body: ``{"code", "message", "details"}`` (message rendered now)."""
        return {"code": self.code, "message": str(self.message), "details": self.details}
