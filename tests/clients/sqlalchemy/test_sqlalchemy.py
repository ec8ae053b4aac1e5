"""SQLAlchemy 2 client test (psycopg 3 driver): run by run.sh with the server port."""

import sys
from decimal import Decimal
from typing import List, Optional

from sqlalchemy import ForeignKey, Index, Numeric, String, create_engine, func, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from check import Checks, eq

PORT = int(sys.argv[1])
# use_native_hstore=False: the dialect would otherwise look the hstore type up in
# pg_type on connect (hstore is an extension we do not ship).
engine = create_engine(
    f"postgresql+psycopg://sa@127.0.0.1:{PORT}/sa",
    connect_args={"connect_timeout": 10},
    use_native_hstore=False,
)

# Engine gaps (check label -> error the server gives today): reflection reads pg_catalog.
GAPS = {}


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    books: Mapped[List["Book"]] = relationship(back_populates="author", cascade="all, delete-orphan")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    price: Mapped[Optional[Decimal]] = mapped_column(Numeric(8, 2))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")
    __table_args__ = (Index("ix_books_title", "title"),)


def test_create_all():
    # checkfirst=False: emit CREATE TABLE / CREATE INDEX without the pg_catalog lookup.
    Base.metadata.create_all(engine, checkfirst=False)
    with engine.connect() as conn:
        eq(conn.exec_driver_sql("SELECT count(*) FROM books").scalar(), 0, "books created empty")
        eq(conn.exec_driver_sql("SELECT count(*) FROM authors").scalar(), 0, "authors created empty")


def test_create_all_checkfirst():
    Base.metadata.create_all(engine)  # tables exist: must look them up and create nothing


def test_table_names():
    eq(sorted(inspect(engine).get_table_names()), ["authors", "books"], "get_table_names")


def test_crud():
    with Session(engine) as s:
        ann = Author(name="Ann", books=[Book(title="Alpha", price=Decimal("9.99")), Book(title="Beta")])
        bob = Author(name="Bob", books=[Book(title="Gamma", price=Decimal("20.00"))])
        s.add_all([ann, bob])
        s.commit()
        assert ann.id is not None and bob.id is not None and ann.id != bob.id, "generated ids"
        ann_id = ann.id
    with Session(engine) as s:
        titles = s.scalars(select(Book.title).join(Author).where(Author.name == "Ann").order_by(Book.title)).all()
        eq(titles, ["Alpha", "Beta"], "join query")
        total = s.scalar(select(func.sum(Book.price)))
        eq(total, Decimal("29.99"), "sum")
        ann = s.get(Author, ann_id)
        eq(sorted(b.title for b in ann.books), ["Alpha", "Beta"], "relationship load")
        beta = s.scalars(select(Book).where(Book.title == "Beta")).one()
        beta.price = Decimal("5.50")
        s.commit()
    with Session(engine) as s:
        eq(s.scalar(select(Book.price).where(Book.title == "Beta")), Decimal("5.50"), "update")
        s.delete(s.get(Author, ann_id))  # cascades to books
        s.commit()
        eq(s.scalar(select(func.count()).select_from(Book)), 1, "delete cascade")
        eq(s.scalars(select(Author.name)).all(), ["Bob"], "remaining author")
    with Session(engine) as s:
        s.add(Author(name="Bob"))
        try:
            s.commit()
            raise AssertionError("duplicate unique name accepted")
        except Exception as e:  # sqlalchemy.exc.IntegrityError
            eq(type(e).__name__, "IntegrityError", "unique violation")
            eq(e.orig.sqlstate, "23505", "sqlstate")
            s.rollback()


def test_columns():
    cols = {c["name"]: c for c in inspect(engine).get_columns("books")}
    eq(list(cols), ["id", "title", "price", "author_id"], "column order")
    eq(str(cols["title"]["type"]), "VARCHAR(200)", "title type")
    eq(str(cols["price"]["type"]), "NUMERIC(8, 2)", "price type")
    eq(str(cols["id"]["type"]), "INTEGER", "id type")
    eq(cols["id"]["nullable"], False, "id not null")
    eq(cols["price"]["nullable"], True, "price nullable")
    eq(cols["title"]["nullable"], False, "title not null")


def test_pk():
    pk = inspect(engine).get_pk_constraint("books")
    eq(pk["constrained_columns"], ["id"], "pk columns")


def test_foreign_keys():
    fks = inspect(engine).get_foreign_keys("books")
    eq(len(fks), 1, "one foreign key")
    eq(fks[0]["constrained_columns"], ["author_id"], "fk columns")
    eq(fks[0]["referred_table"], "authors", "fk referred table")
    eq(fks[0]["referred_columns"], ["id"], "fk referred columns")


def test_indexes():
    idx = {i["name"]: i for i in inspect(engine).get_indexes("books")}
    assert "ix_books_title" in idx, f"ix_books_title missing from {sorted(idx)}"
    eq(idx["ix_books_title"]["column_names"], ["title"], "index columns")
    eq(bool(idx["ix_books_title"]["unique"]), False, "index not unique")
    uniques = inspect(engine).get_unique_constraints("authors")
    eq([u["column_names"] for u in uniques], [["name"]], "unique constraint on authors.name")


def test_views():
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE VIEW book_prices AS SELECT b.id, b.title, b.price * 2 AS doubled, a.name AS author "
            "FROM books b JOIN authors a ON a.id = b.author_id"
        )
    insp = inspect(engine)
    eq(insp.get_view_names(), ["book_prices"], "get_view_names")
    eq(sorted(insp.get_table_names()), ["authors", "books"], "views are not tables")
    cols = {c["name"]: str(c["type"]) for c in insp.get_columns("book_prices")}
    eq(cols, {"id": "INTEGER", "title": "VARCHAR(200)", "doubled": "NUMERIC", "author": "VARCHAR(80)"},
       "view column types")
    definition = insp.get_view_definition("book_prices")
    assert "books" in definition and "authors" in definition, f"view definition: {definition}"


def main():
    c = Checks("sqlalchemy", GAPS)
    c.run("create_all", test_create_all)
    c.run("create_all checkfirst", test_create_all_checkfirst)
    c.run("crud", test_crud)
    c.run("inspect get_table_names", test_table_names)
    c.run("inspect get_columns", test_columns)
    c.run("inspect get_pk_constraint", test_pk)
    c.run("inspect get_foreign_keys", test_foreign_keys)
    c.run("inspect get_indexes", test_indexes)
    c.run("inspect views", test_views)
    engine.dispose()
    sys.exit(c.summary())


if __name__ == "__main__":
    main()
