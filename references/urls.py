from django.urls import path

from references import views

app_name = "references"

urlpatterns = [
    path("import/", views.reference_import, name="import"),
    path("import/confirm/", views.reference_import_confirm, name="import_confirm"),
]
