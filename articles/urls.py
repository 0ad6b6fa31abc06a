from django.urls import path

from . import feeds, public_views, read_api, reference_views, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    path("articles/<slug:slug>/report/", views.report_problem, name="report"),
    path("articles/<slug:slug>/history/", views.public_history, name="history"),
    path("audience/<slug:key>/", views.choose_audience, name="choose_audience"),
    path("pages/<slug:slug>/", views.site_page, name="page"),
    path("board/", views.board, name="board"),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("references/import/", reference_views.reference_import, name="reference_import"),
    path(
        "references/import/confirm/",
        reference_views.reference_import_confirm,
        name="reference_import_confirm",
    ),
    path(
        "articles/<slug:slug>/references.ris",
        reference_views.article_references_ris,
        name="references_ris",
    ),
    path(
        "articles/<slug:slug>/references.json",
        reference_views.article_references_csljson,
        name="references_csljson",
    ),
    path("search/", public_views.search, name="search"),
    path("feed/", feeds.PublishedUpdatesFeed(), name="feed"),
    path("api/v1/articles/", read_api.article_list, name="api_articles"),
    path("api/v1/articles/<slug:slug>/", read_api.article_detail, name="api_article"),
]
