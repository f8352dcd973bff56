"""`python -m deploy`."""

from deploy.cli import cli

if __name__ == "__main__":
    cli()
