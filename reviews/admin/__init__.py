"""Admin for the editorial process and for every row that belongs to one article.

Each list, change page and history page shows a user only the articles they work on
(`scoping.ArticleScopedAdmin`): editors every one, authors their own, reviewers what they are
assigned now. Registering happens on import of the modules below.
"""

from reviews.admin import article, content, process

__all__ = ["article", "content", "process"]
