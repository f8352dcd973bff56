"""The stack engine: what is deployed and how one stack, and then all of them, reach their templates.

    project.py     the registry + out/<env>/ templates: stack names, order, parameters, retained data
    reporting.py   the Reporter interface the engine reports progress to (deploy.ui implements it)
    cfn.py         the vocabulary: statuses, Outcome/Result/Request, Timing, Pacer, error helpers, Api
    stackops.py    one stack: change sets, polling, events, no-op detection, stuck states
    snapshot.py    the up-front read of a run: every stack described, then no-op checked, in 2 parallel rounds
    scheduler.py   the dependency-graph scheduler and its executors (threads, a fake clock)
    plan.py        the Deployer (survey, deploy, plan, delete, status) over the scheduler
    nested.py      the nested deployment from main.yaml
    preflight.py   the read-only checks before all/stack/main write anything (what AWS would reject)
    kept.py        the one lookup of what a delete keeps (exists? holds what?): preflight, adopt, purge
    adopt.py       `all --adopt`: kept resources imported into the new stacks (IMPORT change sets)
    teardown.py    what would stop a delete halfway, and `delete --lift-protection`
    purge.py       `delete --purge`: what a delete keeps, listed and removed
    cascade.py     `stack NAME`: the dependants its changed outputs leave stale (`--cascade`)

May import deploy.aws and deploy.errors (and hana_templates); never deploy.ops, deploy.ui or
deploy.commands.
"""
