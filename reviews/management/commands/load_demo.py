"""Load the demo: accounts, reviewer profiles, references, disclaimers, pages and articles.

Idempotent: what exists is left as it is. Articles go through the same services as people do
(draft, submit, assign, sign with a password, publish), so the demo's history is a real one.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.roles import ROLE_GROUPS, Role
from articles.audiences import audience_keys
from articles.models import Article, Disclaimer, GlossaryTerm, SitePage, Topic
from references.importing import ImportRefused, references_import
from references.models import Reference
from reviews.mail import mail_held
from reviews.models import ReviewerProfile
from reviews.services.content import draft_create, draft_update
from reviews.services.evidence import check_waive
from reviews.services.topics import article_topics_set
from reviews.services.transitions import transition_apply

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_PASSWORD = "editorial-demo-2026"  # noqa: S105 - documented demo password, debug only

# username -> (group, staff, superuser)
ACCOUNTS: dict[str, tuple[Role | None, bool, bool]] = {
    "admin": (None, True, True),
    "editor": (Role.EDITOR, True, False),
    "author": (Role.AUTHOR, True, False),
    "reviewer": (Role.REVIEWER, True, False),
    "reviewer2": (Role.REVIEWER, True, False),
}

# How far each demo article goes through the workflow.
PUBLISHED = "published"
PENDING = "published pending review"
DRAFT = "draft"
ARTICLES: dict[str, dict[str, Any]] = {
    "low-alkaline-phosphatase": {"outcome": PUBLISHED, "reviewers": ["reviewer", "reviewer2"]},
    # Gives no doses, so the site's default policy lets it go live before the board signs; the
    # XLH article sets out doses and waits for its two signatures.
    "antiresorptives-in-adult-hypophosphatasia": {"outcome": PENDING, "reviewers": ["reviewer"]},
    "xlh-or-hypophosphatasia": {"outcome": PUBLISHED, "reviewers": ["reviewer", "reviewer2"]},
    "high-alkaline-phosphatase-kidney-disease": {"outcome": DRAFT, "reviewers": []},
}


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


class Command(BaseCommand):
    help = "Load demo accounts and content (debug only unless --force). Safe to run again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Create the demo accounts even with DEBUG off."
        )
        parser.add_argument(
            "--show-mail",
            action="store_true",
            help="Print the notification mail the demo's workflow composes (never sent).",
        )

    def handle(
        self, *args: Any, force: bool = False, show_mail: bool = False, **options: Any
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a known password while DEBUG is off. "
                "Use --force if this really is a demo server."
            )
        # The demo's people are invented: its mail is kept back, not sent (printed if asked).
        with mail_held() as held, transaction.atomic():
            users = self.load_accounts()
            self.load_board(users)
            self.load_references()
            self.load_disclaimers()
            self.load_glossary()
            self.load_pages()
            created = self.load_articles(users)
        if show_mail:
            for message in held:
                self.stdout.write(
                    f"To: {', '.join(message.to)}\nSubject: {message.subject}\n\n{message.body}"
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {Article.objects.count()} articles ({created} new), "
                f"{Reference.objects.count()} references."
            )
        )
        self.stdout.write(
            f"Demo accounts: {', '.join(ACCOUNTS)}; password for all: {DEMO_PASSWORD}"
        )

    def load_accounts(self) -> dict[str, Any]:
        User = get_user_model()
        board = read_toml(DEMO_DIR / "board.toml")
        users = {}
        for username, (role, staff, superuser) in ACCOUNTS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                name = board.get(username, {}).get("display_name", username.title())
                first, _, last = name.removeprefix("Dr ").partition(" ")
                user = User(
                    username=username,
                    email=f"{username}@example.org",
                    first_name=first,
                    last_name=last,
                    is_staff=staff,
                    is_superuser=superuser,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                if role is not None:
                    user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
            users[username] = user
        return users

    def load_board(self, users: dict[str, Any]) -> None:
        board = read_toml(DEMO_DIR / "board.toml")
        for username in ("reviewer", "reviewer2"):
            data = board[username]
            ReviewerProfile.objects.get_or_create(
                user=users[username],
                defaults={
                    "slug": slugify(data["display_name"]),
                    "display_name": data["display_name"],
                    "credentials": data["credentials"],
                    "specialty": data["specialty"],
                    "bio": data["bio"],
                    "conflicts_of_interest": data["conflicts"],
                    "credentials_verified_on": timezone.localdate() - timedelta(days=90),
                },
            )

    def load_references(self) -> None:
        # Through the import service, as an editor's file would go: references already in the
        # library are matched (by DOI) and left as they are, so a second run writes nothing.

        path = DEMO_DIR / "references.ris"
        try:
            references_import(data=path.read_bytes(), filename=path.name)
        except ImportRefused as refused:
            raise CommandError("\n".join(refused.plan.messages())) from None

    def load_disclaimers(self) -> None:
        for audience, text in read_toml(DEMO_DIR / "disclaimers.toml").items():
            if (
                audience in audience_keys()
                and not Disclaimer.objects.filter(audience=audience).exists()
            ):
                Disclaimer.objects.create(audience=audience, text=text.strip())

    def load_glossary(self) -> None:
        for slug, data in read_toml(DEMO_DIR / "glossary.toml").items():
            GlossaryTerm.objects.get_or_create(slug=slug, defaults=data)

    def load_pages(self) -> None:
        titles = {
            "editorial-policy": "Editorial policy",
            "about-the-board": "About the Medical Advisory Board",
        }
        for slug, title in titles.items():
            if not SitePage.objects.filter(slug=slug).exists():
                body = (DEMO_DIR / "pages" / f"{slug}.md").read_text(encoding="utf-8")
                SitePage.objects.create(slug=slug, title=title, body=body)

    def load_articles(self, users: dict[str, Any]) -> int:
        new: dict[str, Article] = {}
        metas = {slug: read_toml(DEMO_DIR / slug / "meta.toml") for slug in ARTICLES}
        for slug, meta in metas.items():
            if Article.objects.filter(slug=slug).exists():
                continue
            texts = {
                key: (DEMO_DIR / slug / f"{key}.md").read_text(encoding="utf-8")
                for key in audience_keys()
                if (DEMO_DIR / slug / f"{key}.md").exists()
            }
            article = new[slug] = draft_create(
                user=users["author"],
                slug=slug,
                title=meta["title"],
                summary=meta["summary"],
                texts=texts,
                sources=meta.get("sources", []),
                change_reason=meta.get("change_reason", "First version."),
            )
            topics = [
                Topic.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]
                for name in meta.get("topics", [])
            ]
            article_topics_set(article=article, user=users["author"], topics=topics)
        ids = dict(Article.objects.filter(slug__in=ARTICLES).values_list("slug", "pk"))
        for slug, article in new.items():
            related = [ids[s] for s in metas[slug].get("related", []) if s in ids]
            if related:
                article = draft_update(
                    article=article,
                    user=users["author"],
                    base_version=article.version,
                    fields={"related_ids": related},
                    change_reason="Linked the related questions.",
                    change_weight="minor",
                )
            self.advance(
                article, users=users, waivers=metas[slug].get("waivers", {}), **ARTICLES[slug]
            )
        self.mark_conflicts(users)
        return len(new)

    def mark_conflicts(self, users: dict[str, Any]) -> None:
        board = read_toml(DEMO_DIR / "board.toml")
        for username in ("reviewer", "reviewer2"):
            slugs = board[username].get("conflicted_articles", [])
            if slugs:
                users[username].reviewer_profile.conflicted_articles.add(
                    *Article.objects.filter(slug__in=slugs)
                )

    def advance(
        self,
        article: Article,
        *,
        users: dict[str, Any],
        outcome: str,
        reviewers: list[str],
        waivers: dict[str, str],
    ) -> None:
        if outcome == DRAFT:
            return
        for check_key, reason in waivers.items():
            check_waive(article=article, user=users["author"], check_key=check_key, reason=reason)
        transition_apply(article=article, user=users["author"], action="submit")
        transition_apply(
            article=article,
            user=users["editor"],
            action="start_review",
            params={
                "reviewers": [users[name] for name in reviewers],
                "due_on": timezone.localdate() + timedelta(days=14),
            },
        )
        if outcome == PENDING:
            transition_apply(
                article=article,
                user=users["editor"],
                action="publish_pending_review",
                note="Published early for readers while the board completes its review.",
            )
            return
        for name in reviewers:
            transition_apply(
                article=article,
                user=users[name],
                action="approve",
                password=DEMO_PASSWORD,
                note="Checked against the cited sources.",
                params={"content_hash": article.content_hash},
            )
        transition_apply(article=article, user=users["editor"], action="publish")
