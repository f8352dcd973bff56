"""`python -m deploy`: applies the generated stacks (out/<env>/) to AWS in dependency order.

The deployer in layers; each imports only the layers below it (tests/test_layers.py enforces it):

    commands/   click: one module per command group, the one error boundary       (top)
    ui/         what the user sees: live progress, summaries, tables
    ops/        operations on a running environment: ECS, images, secrets, logs, health
    engine/     the stack engine: project (registry + out/), scheduler, one stack, nested
    aws/        the AWS session: credentials, identity, SSO login, external programs
    errors.py   the error types every layer raises                                 (bottom)

The local emulator is a separate package (hana_emulator), imported lazily by `--local` and
`local`. boto3 is imported lazily too, so `--help` stays fast.
"""
