"""`python -m deploy`."""

from deploy.commands import cli

if __name__ == "__main__":
    cli()
