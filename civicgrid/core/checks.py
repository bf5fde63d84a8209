"""System checks that keep a production deployment honest."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def encryption_keys_configured(app_configs, **kwargs):
    if not settings.FIELD_ENCRYPTION_KEYS:
        return [
            Error(
                "FIELD_ENCRYPTION_KEYS is empty: sensitive personal data would be encrypted "
                "with a key derived from SECRET_KEY.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (see .env.example).",
                id="civicgrid.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def second_factor_enforced(app_configs, **kwargs):
    from django.core.checks import Warning as CheckWarning

    if not settings.TOTP_REQUIRED_FOR_PRIVILEGED:
        return [
            CheckWarning(
                "Two-factor sign-in is not enforced for administrators and auditors.",
                hint="Set TOTP_REQUIRED_FOR_PRIVILEGED=true (等保 2.0 level 3 requires it).",
                id="civicgrid.W001",
            )
        ]
    return []


@register()
def map_tiles_valid(app_configs, **kwargs):
    """A malformed MAP_TILES is not used (the maps draw the local base map): say so."""
    from django.core.checks import Warning as CheckWarning

    from civicgrid.core.maptiles import parse_tiles

    _config, errors = parse_tiles(getattr(settings, "MAP_TILES", None))
    return [
        CheckWarning(
            f"MAP_TILES is malformed and not used: {error}.",
            hint="Fix the MAP_TILES_* variables (docs/operations.md, Maps); until then every "
                 "map shows the local base map.",
            id="civicgrid.W002",
        )
        for error in errors
    ]
