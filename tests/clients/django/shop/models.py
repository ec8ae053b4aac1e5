"""The models the Django client test migrates and queries."""

from django.db import models


class Customer(models.Model):
    name = models.CharField(max_length=100, unique=True)
    email = models.EmailField(null=True)
    joined = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["amount"])]
