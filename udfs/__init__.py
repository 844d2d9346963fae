"""The Excel-facing layer of ilt-xl: xlwings worksheet functions and macros, thin wrappers only.

- ``udfs.ilt_udfs``: classic xlwings (Windows Excel): ``UDF MODULES = udfs.ilt_udfs``;
- ``udfs/lite/main.py`` and ``requirements.txt``: xlwings Lite (Windows, Mac, Excel on the web);
- ``udfs.wrappers``: builds one Excel function per entry of ``ilt_xl.functions.SPECS``;
- ``udfs.book_io``: runs a macro of ``ilt_xl.workbook.macros`` on an open xlwings Book.

See ``udfs/README.md`` for the set-up, step by step.
"""
