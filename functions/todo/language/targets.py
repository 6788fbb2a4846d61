"""How a command names its task: a number from the last list shown, or (part of) a title.

``2``, ``#2``, ``task 2``, ``number 2``, ``no. 2``, ``the 2nd``, ``the second one`` are
numbers; anything else is a title, with a leading ``the``/``my`` dropped unless quoted.
"""

from __future__ import annotations

import re
from typing import Any

from functions.todo.language.masking import Scan
from functions.todo.language.spans import leftover
from functions.todo.language.vocab import MASK, ORDINAL_SUFFIX, key

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")  # fmt: skip
_NUMBER = re.compile(
    rf"""(?:(?:task|item|todo|number|no\.?)\s*\#?\s*|\#)?(?P<n>\d{{1,6}})
    |(?:the\s+)?(?:(?P<o>\d{{1,3}}){ORDINAL_SUFFIX}|(?P<w>{"|".join(_ORDINALS)}))
    (?:\s+(?:one|task|item))?""",
    re.IGNORECASE | re.VERBOSE,
)
_ARTICLE = re.compile(r"^(?:the|my)\s+(?=\S)", re.IGNORECASE)


def target_of(scan: Scan, region: tuple[int, int] | None) -> dict[str, Any] | None:
    if region is None:
        return None
    text = leftover(scan, region, ())
    if not text:
        return None
    quoted = MASK in scan.text[region[0] : region[1]]
    match = None if quoted else _NUMBER.fullmatch(text)
    if match and match.group("w"):
        return {"number": _ORDINALS.index(key(match.group("w"))) + 1}
    if match and int(match.group("n") or match.group("o")) >= 1:
        return {"number": int(match.group("n") or match.group("o"))}
    return {"title": text if quoted else _ARTICLE.sub("", text)}
