"""hana_templates: the generator. One module per CloudFormation stack, built from a typed config.

    config.py      EnvConfig per environment (dev, prod, lean-dev): every value that differs
    naming.py      every physical name, logical ID and tag set
    spec.py        From, StackSpec: the stack contract types
    registry.py    the stacks, their contracts, dependency order and waves (graphlib)
    constructs.py  secure-default factories (bucket, queue, log group, retain policies)
    policies.py    awacs helpers (assume-role documents, grants, TLS-only deny)
    render.py      deterministic YAML and the CloudFormation size checks
    <stack>.py     network, storage, secrets, messaging, database, iam, compute, waf, observability
    main.py        the nested master stack, derived from the registry

Pure: never imports boto3, the deployer or the emulator, and never reads the network
(tests/test_layers.py enforces the imports).
"""
