"""The staff pages of hearings (/risk/hearings/…), in the "risk" namespace."""

urlpatterns: list = []
