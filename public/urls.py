"""The public site: home, article pages, history, reports, audience choice, pages, topics, search, feed."""

from django.urls import path

from public import feeds, finding, views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.detail, name="detail"),
    path("articles/<slug:slug>/report/", views.report_problem, name="report"),
    path("articles/<slug:slug>/history/", views.public_history, name="history"),
    path(
        "articles/<slug:slug>/references.ris", finding.article_references_ris, name="references_ris"
    ),
    path(
        "articles/<slug:slug>/references.json",
        finding.article_references_csljson,
        name="references_csljson",
    ),
    path("audience/<slug:key>/", views.choose_audience, name="choose_audience"),
    path("pages/<slug:slug>/", views.site_page, name="page"),
    path("board/", views.board, name="board"),
    path("topics/", views.topics, name="topics"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("search/", finding.search, name="search"),
    path("feed/", feeds.PublishedUpdatesFeed(), name="feed"),
]
