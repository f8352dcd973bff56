"""hana_cost: the monthly AWS cost of each environment, priced from the same config and
generated templates that deploy it.

Pure: no AWS calls and no boto3 import at module level (only `--refresh` reads the AWS Price
List API, in refresh.py). Layout:

    prices.py      dated us-east-1 unit prices, each with its source
    usage.py       named usage assumptions (GB, requests, LCU), overridable
    inventory.py   the resources in out/<env>/*.yaml (or rendered in memory)
    rules.py       one pricing rule per billable resource type; FREE lists the free ones
    schedule.py    running hours under ECS scheduled scaling
    estimate.py    Estimate: lines, fixed floor, usage, totals
    spec_table.py  the spec's own estimate and why ours differs
    compare.py     what each savings switch in config.Savings saves
    report.py      Markdown tables and JSON
    refresh.py     --refresh through the Price List API
    cli.py         the `cost` click command (python -m deploy cost, python -m hana_cost)
"""
