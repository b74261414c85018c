#!/usr/bin/env python3
"""Writes data/cn-mobile-segments.txt, the table of number blocks allocated to mainland China
mobile carriers, from libphonenumber's metadata (Apache-2.0) as the `phonenumbers` package on
PyPI carries it.

    python3 -m venv /tmp/pn && /tmp/pn/bin/pip install phonenumbers
    /tmp/pn/bin/python data/cn_mobile_segments.py > data/cn-mobile-segments.txt

libphonenumber describes CN mobile numbers with one regular expression; this expands it into the
shortest list of prefixes (3 to 7 digits) whose every 11-digit number it accepts. The pattern
never constrains digits past the seventh, which the script checks.
"""
import datetime
import re

import phonenumbers
from phonenumbers.data import region_CN

PATTERN = region_CN.PHONE_METADATA_CN.mobile.national_number_pattern


def allocated(prefix7):
    low = re.fullmatch(PATTERN, f"{prefix7}0000") is not None
    high = re.fullmatch(PATTERN, f"{prefix7}9999") is not None
    assert low == high, f"the pattern constrains digits past {prefix7}"
    return low


def main():
    table = {p: allocated(p) for p in range(1_000_000, 2_000_000)}

    def count(prefix, digits):
        span = 10 ** (7 - digits)
        return sum(table[p] for p in range(prefix * span, (prefix + 1) * span)), span

    def cover(prefix, digits):
        found, span = count(prefix, digits)
        if found == span:
            yield str(prefix)
        elif found:
            for d in range(10):
                yield from cover(prefix * 10 + d, digits + 1)

    print("# Number blocks allocated to mainland China mobile carriers: an 11-digit number whose")
    print("# first digits are one of these prefixes may be a mobile number; any other is answered")
    print("# INVALID without an upstream call (docs/billing.md). One prefix a line, 3 to 7 digits.")
    print(f"# Source: libphonenumber metadata {phonenumbers.__version__} (Apache-2.0), CN mobile pattern")
    print(f"#   {PATTERN}")
    print(f"# Generated on {datetime.date.today().isoformat()} by data/cn_mobile_segments.py; replace with")
    print("# --segments-file FILE (the same format) without a rebuild.")
    for prefix3 in range(100, 200):
        for prefix in cover(prefix3, 3):
            print(prefix)


if __name__ == "__main__":
    main()
