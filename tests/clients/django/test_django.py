"""Django client test (psycopg 3 backend): run by run.sh with the server port and a
scratch directory (where makemigrations writes the app's migrations)."""

import os
import sys
from decimal import Decimal

import django
from django.conf import settings

from check import Checks, eq

PORT, WORK = int(sys.argv[1]), sys.argv[2]
sys.path.insert(0, WORK)
os.makedirs(os.path.join(WORK, "shop_migrations"), exist_ok=True)
open(os.path.join(WORK, "shop_migrations", "__init__.py"), "w").close()

settings.configure(
    SECRET_KEY="test",
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "shop"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "django",
            "USER": "django",
            "HOST": "127.0.0.1",
            "PORT": str(PORT),
        }
    },
    MIGRATION_MODULES={"shop": "shop_migrations"},
    USE_TZ=True,
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
from django.db.models import Count, F, Sum  # noqa: E402

from shop.models import Customer, Order  # noqa: E402

# Engine gaps (check label -> error the server gives today).
GAPS = {}


def test_migrate():
    call_command("makemigrations", "shop", verbosity=0)
    call_command("migrate", verbosity=0)
    tables = connection.introspection.table_names()
    for t in ["shop_customer", "shop_order", "auth_user", "django_content_type"]:
        assert t in tables, f"{t} missing from {tables}"
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, "shop_order")
    assert any(c["foreign_key"] for c in constraints.values()), constraints


def test_crud():
    ann = Customer.objects.create(name="ann", email="a@example.com", data={"tier": "gold"})
    Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(5)])
    for i in range(3):
        Order.objects.create(customer=ann, amount=Decimal("10.50"), note=f"n{i}")
    eq(Customer.objects.count(), 6, "customers")
    eq(Order.objects.aggregate(total=Sum("amount"))["total"], Decimal("31.50"), "sum")
    Customer.objects.filter(name="c4").update(email="c4@example.com")
    eq(Customer.objects.get(name="c4").email, "c4@example.com", "update")
    Customer.objects.filter(name="c3").delete()
    eq(Customer.objects.filter(name__startswith="c").count(), 4, "delete")


def test_annotate_group_by_key():
    # GROUP BY the primary key, selecting the other columns (functional dependency).
    rows = list(
        Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).values_list("name", "n")
    )
    eq(rows, [("ann", 3)], "annotate")
    top = Customer.objects.annotate(n=Count("orders")).order_by("-n", "name").first()
    eq((top.name, top.n), ("ann", 3), "order by annotation")


def test_json_lookups():
    eq(Customer.objects.filter(data__tier="gold").count(), 1, "key lookup")
    eq(Customer.objects.filter(data__has_key="tier").count(), 1, "has_key")
    eq(Customer.objects.filter(data__contains={"tier": "gold"}).count(), 1, "contains")


def test_transactions():
    ann = Customer.objects.get(name="ann")
    with transaction.atomic():
        Order.objects.filter(customer=ann).update(amount=F("amount") + 1)
        try:
            with transaction.atomic():
                Customer.objects.create(name="ann")
        except IntegrityError:
            pass
        else:
            raise AssertionError("duplicate name accepted")
    eq(Order.objects.filter(amount=Decimal("11.50")).count(), 3, "outer transaction kept")
    try:
        with transaction.atomic():
            Customer.objects.create(name="temp")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    eq(Customer.objects.filter(name="temp").exists(), False, "rolled back")


def test_select_related_and_cascade():
    o = Order.objects.select_related("customer").order_by("id").first()
    eq((o.customer.name, o.amount), ("ann", Decimal("11.50")), "select_related")
    Customer.objects.filter(name="ann").delete()
    eq(Order.objects.count(), 0, "on_delete=CASCADE")


def test_auth_user():
    User.objects.create_user("bob", password="pw", email="bob@example.com")
    u = User.objects.get(username="bob")
    eq(u.check_password("pw"), True, "password")
    u.groups.create(name="staff")
    eq(list(User.objects.filter(groups__name="staff").values_list("username", flat=True)), ["bob"], "m2m")


def test_migrate_back_to_zero():
    call_command("migrate", "shop", "zero", verbosity=0)
    tables = connection.introspection.table_names()
    assert "shop_order" not in tables and "shop_customer" not in tables, tables


checks = Checks("django", GAPS)
checks.run("makemigrations and migrate", test_migrate)
checks.run("ORM CRUD", test_crud)
checks.run("annotate with GROUP BY the key", test_annotate_group_by_key)
checks.run("JSONField lookups", test_json_lookups)
checks.run("transactions and savepoints", test_transactions)
checks.run("select_related and cascade", test_select_related_and_cascade)
checks.run("auth users and groups", test_auth_user)
checks.run("migrate back to zero", test_migrate_back_to_zero)
sys.exit(checks.summary())
