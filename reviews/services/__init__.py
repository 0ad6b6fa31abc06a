"""Writes for the editorial process, one module per concern; import from the module.

Every workflow change goes through `reviews.services.transitions`. The package re-exports
nothing, so importing one service never loads the others (and the effects, imported by the
workflow table, never load the services that import that table).
"""
