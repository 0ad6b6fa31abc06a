"""Editors' reference import pages: upload, preview, confirm, the background job and its report."""

from django.urls import path

from references import views

app_name = "references"

urlpatterns = [
    path("import/", views.reference_import, name="import"),
    path("import/confirm/", views.reference_import_confirm, name="import_confirm"),
    path("import/choices/", views.reference_import_choose, name="import_choose"),
    path("import/<int:pk>/", views.reference_import_job, name="import_job"),
    path("import/<int:pk>/choices/", views.reference_import_job_choose, name="import_job_choose"),
    path("import/<int:pk>/confirm/", views.reference_import_job_confirm, name="import_job_confirm"),
]
