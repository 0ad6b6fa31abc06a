"""The editorial workspace: dashboard, article page, edit, history, diff, actions, comments.

Views parse input, call a selector or a service, and render. Permissions are decided by the
services (and by `available_actions`, which draws the buttons from the same table). No view
catches a service's refusal its own way: a form comes back with the reasons through
`reviews.refusals.kept_input`, and whatever escapes is answered by the refusal middleware.
"""
