"""PostgreSQL: Django's backend with a health check that costs no round trip and prepared
statements (base.py); editorial/settings.py names it for every PostgreSQL database."""
