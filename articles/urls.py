from django.urls import path

from . import views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    path("articles/<slug:slug>/report/", views.report_problem, name="report"),
    path("articles/<slug:slug>/history/", views.public_history, name="history"),
    path("audience/<slug:key>/", views.choose_audience, name="choose_audience"),
    path("pages/<slug:slug>/", views.site_page, name="page"),
    path("board/", views.board, name="board"),
]
