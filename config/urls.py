from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from minzheng.web.api.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("minzheng.web.api.urls")),
    path("portal/", include("minzheng.web.portal.urls")),
    path("verification/", include("minzheng.kernel.verification.urls")),
    path("v/", include("minzheng.kernel.documents.urls")),
    path("assistance/", include("minzheng.domains.assistance.urls")),
    path("payments/", include("minzheng.kernel.payments.urls")),
    path("", include("minzheng.web.backoffice.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
