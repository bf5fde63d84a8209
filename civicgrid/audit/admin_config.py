from django.contrib.admin.apps import AdminConfig


class CivicAdminConfig(AdminConfig):
    """Django admin with civicgrid's site (role-restricted, audited)."""

    default_site = "civicgrid.audit.admin_site.CivicAdminSite"
