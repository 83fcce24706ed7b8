"""Stripe's webhook, mounted at /hooks/stripe/ before the mail webhooks (``stripe_webhook``, kwarg ``key``)."""

from django.urls import path

from billing import stripe_views

urlpatterns = [path("<slug:key>/", stripe_views.webhook, name="stripe_webhook")]
