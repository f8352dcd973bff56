"""`python -m deploy`: applies the generated stacks (out/<env>/) to AWS in dependency order.

Layers: cli.py (click, the one error boundary) over a library that tests drive directly:
project.py (registry + out/ templates), session.py (credentials, identity), plan.py (graph
scheduler, parameters), cfn.py (one stack), nested.py (the `main` command), progress.py and
views.py (what the user sees). boto3 is imported lazily so `--help` stays fast.
"""
