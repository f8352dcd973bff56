"""The AWS session: credentials, identity, SSO login and the external programs the deployer runs.

    session.py     Settings (global options) and Aws (boto3 session, identity, account pinning)
    login.py       SSO login: AWS CLI v2 or the built-in device authorization flow
    external.py    docker, git, the AWS CLI and session-manager-plugin: found, versioned, run

May import deploy.errors (and hana_templates.config, and hana_emulator.client lazily for
`--local`); never a higher layer.
"""
