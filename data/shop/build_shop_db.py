"""Build the fictional company's SQLite database into the cache directory.

Usage: .venv/bin/python data/shop/build_shop_db.py [OUTPUT_PATH]
The schema is data/shop/schema.sql and the rows are data/shop/seed.json; the
same inputs always give the same database (refunds and audit rows start empty).
"""

import sys

from ragfirst.hybrid.shop import build_shop_db

if __name__ == "__main__":
    print(build_shop_db(sys.argv[1] if len(sys.argv) > 1 else None))
