"""The data centre's input side, free of the database: plain values in, plain values out.

* ``tables``  — bytes of a CSV/XLSX upload or fetch → ``RawTable`` → ``Preview`` (header row,
  sheet, table end, per-column type and number format);
* ``values``  — one cell: missing markers, numbers in Indonesian or English style, dates;
* ``schema``  — ``ColumnSpec``/``Schema``, ``infer_schema``, ``validate`` (errors by row and
  column), ``schema_changed``, the built-in "progres pembangunan" schema;
* ``diff``    — canonical rows, ``content_hash``, ``diff`` between two versions;
* ``privacy`` — columns that look like NIK, phone numbers, e-mail, names with addresses;
* ``sources`` — polling a CSV URL (conditional requests) and CKAN ``datastore_search``,
  refusing private addresses.

Whatever a person must correct raises ``DatasetInputError(code, message, details)``; row-level
problems come back from ``schema.validate`` as ``RowError``s with the same codes.
"""

from pressroom.datasets.errors import CODES, DatasetInputError

__all__ = ["CODES", "DatasetInputError"]
