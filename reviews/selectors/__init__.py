"""Reads for the editorial process, one module per concern; import from the module.

The package re-exports nothing: the guards import the low modules (roles, signing) and the
workflow table is imported by the high ones (actions, workspace), so a package that loaded every
module at once would tie them into a cycle.
"""
