"""Portal access: the token interstitial, the "link no longer works" page, new links, leaving."""

urlpatterns: list = []
