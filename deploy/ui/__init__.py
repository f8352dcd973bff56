"""What the user sees: live progress and the text the commands print.

    progress.py    the engine's Reporter on a terminal (live, redrawn) or in a log (plain lines)
    views.py       summaries, plans, status tables, outputs, the delete warning (pure functions)

May import deploy.ops, deploy.engine, deploy.aws and deploy.errors (to render their results);
never deploy.commands.
"""
