"""Titles of the Django admin, where system administrators browse reference data."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Jiaxing Digital Civil Affairs Platform · reference data")
admin.site.site_title = _("Jiaxing Digital Civil Affairs Platform")
admin.site.index_title = _("Reference data")
