"""Create the PostgreSQL test database if the server answers and it does not exist yet.

Exit 0 when the database is ready, 1 (with a one-line reason) when the server does not answer.
"""

import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main(url: str) -> int:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as exc:
        print(f"PostgreSQL at {target.host}:{target.port} does not answer: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
