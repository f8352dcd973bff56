"""`python -m deploy login`: refresh a profile's AWS SSO session (deploy/aws/login.py), and write
the profile first when it does not exist yet (asked for, or from the options; shown, then appended).

Exported: COMMANDS.
"""

from __future__ import annotations

from typing import Any

import click

from deploy.commands.group import App, pass_app


def _emit(text: str) -> None:
    click.echo(text, err=True)


@click.command("login", short_help="Refresh the profile's AWS SSO session (creates the profile if missing).")
@click.option("--no-browser", is_flag=True, help="Only print the sign-in URL and code; do not open a browser.")
@click.option(
    "--device-flow", is_flag=True, help="Use the built-in device authorization flow even if AWS CLI v2 is installed."
)
@click.option("--sso-start-url", metavar="URL", help="New profile: the AWS access portal URL (https://...).")
@click.option("--sso-region", metavar="REGION", help="New profile: the IAM Identity Center region.")
@click.option("--account-id", metavar="ID", help="New profile: the 12-digit AWS account id.")
@click.option("--role-name", metavar="NAME", help="New profile: the permission set (role) name.")
@click.option("--yes", is_flag=True, help="New profile: write it without asking (automation).")
@pass_app
def login(
    app: App,
    no_browser: bool,
    device_flow: bool,
    sso_start_url: str | None,
    sso_region: str | None,
    account_id: str | None,
    role_name: str | None,
    yes: bool,
) -> None:
    """Sign in to AWS SSO for --profile (default: $AWS_PROFILE, else the `default` profile), then
    show the account and role it reaches.

    A profile that is not in the AWS config file ($AWS_CONFIG_FILE, else ~/.aws/config) can be
    created first: the SSO start URL, SSO region, account id and role name are asked for (or
    given with the options below), the `[sso-session]` and `[profile]` sections are shown, and
    appended after a confirmation; nothing else in the file changes.

    Uses `aws sso login` when AWS CLI v2 is installed; otherwise (no CLI, or pip's v1, which has
    no `sso login`) runs the device authorization flow itself and writes the token where boto3
    and the AWS CLI read it (~/.aws/sso/cache).

    \b
    Examples:
    python -m deploy --profile hana-dev login       the spec's `pnpm aws:login`
    python -m deploy login --profile hana-dev --no-browser
    python -m deploy login --profile hana-dev --sso-start-url https://my-org.awsapps.com/start --sso-region us-east-1 --account-id 123456789012 --role-name AdministratorAccess --yes
    """
    from deploy.aws import login as sso
    from deploy.aws.external import run
    from deploy.errors import BadInput, DeployError

    if app.settings.local:
        raise BadInput("login is for AWS SSO: the local emulator needs no login")
    given = {"--sso-start-url": sso_start_url, "--sso-region": sso_region, "--account-id": account_id}
    given["--role-name"] = role_name
    extra = [k for k, v in given.items() if v]
    try:
        profile = sso.sso_profile(app.settings.profile)
    except sso.ProfileMissing as missing:
        _create_profile(app, missing, given, yes)
        profile = sso.sso_profile(app.settings.profile)
    except BadInput:
        if extra:  # the profile is there, whatever it lacks: never a second one of the same name
            raise _only_for_new(extra, app.settings.profile or "default") from None
        raise
    else:
        if extra:
            raise _only_for_new(extra, profile.profile)
    aws_cli = None if device_flow else sso.cli_v2()
    expires = None
    if aws_cli is not None:
        args = [aws_cli, "sso", "login", "--profile", profile.profile, *(["--no-browser"] if no_browser else [])]
        _emit(f"signing in with AWS CLI v2: aws sso login --profile {profile.profile}")
        status = run(args, capture=False).returncode
        if status != 0:
            raise DeployError(f"`aws sso login --profile {profile.profile}` failed (exit {status})")
    else:
        why = "--device-flow" if device_flow else "AWS CLI v2 is not installed (pip's v1 has no `sso login`)"
        _emit(f"{why}: signing in with the device authorization flow")

        def show(url: str, code: str) -> None:
            _emit(f"Sign in to AWS SSO for profile {profile.profile} ({profile.start_url}):")
            _emit(f"  open  {url}")
            _emit(f"  code  {code}   (check that the page shows this code)")
            if not no_browser and sso.can_open_browser():
                import webbrowser

                webbrowser.open(url)
            _emit("waiting for the approval in the browser ...")

        sleep = app.timing.sleep if app.timing is not None else None
        expires = sso.DeviceLogin(profile, show, sleep=sleep).run()
    from deploy.ops.context import aws_errors

    with aws_errors(app.settings):
        ident = app.aws().identity()
    until = f"; SSO token valid until {expires:%Y-%m-%d %H:%M} UTC" if expires else ""
    click.echo(f"signed in: account {ident.account}, {ident.principal} (profile {profile.profile}){until}")


def _only_for_new(options: list[str], profile: str) -> Exception:
    from deploy.aws import login as sso
    from deploy.errors import BadInput

    return BadInput(f"{', '.join(options)}: only for a new profile; {profile} exists in {sso.config_path()}")


def _create_profile(app: App, missing: Any, given: dict[str, str | None], yes: bool) -> None:
    """Write the missing SSO profile (asked for, or from the options), after showing it."""
    from deploy.aws import login as sso
    from deploy.errors import BadInput, DeployError
    from hana_templates import config

    interactive = app.interactive()
    absent = [k for k, v in given.items() if not v]
    if absent and not interactive:
        raise BadInput(
            f"{missing}: to create it, pass {' '.join(f'{k} ...' for k in absent)} (and --yes), "
            "or run login in a terminal to be asked"
        )
    if interactive:
        _emit(f"{missing}.")
        _emit("Create it? Its values are on your AWS access portal (the account and permission set you use).")
    prompts = {
        "--sso-start-url": "SSO start URL (e.g. https://my-org.awsapps.com/start)",
        "--sso-region": "SSO region (IAM Identity Center's, e.g. us-east-1)",
        "--account-id": "AWS account id (12 digits)",
        "--role-name": "Role name (the permission set, e.g. AdministratorAccess)",
    }
    values = {k: v.strip() if v else click.prompt(prompts[k]).strip() for k, v in given.items()}
    region = app.settings.region or config.get(app.settings.env).region
    new = sso.NewProfile(
        missing.profile,
        values["--sso-start-url"],
        values["--sso-region"],
        values["--account-id"],
        values["--role-name"],
        region,
    )
    sso.check_new_profile(new)
    path = sso.config_file()
    text, _ = sso.new_profile_text(new, path.read_text() if path.exists() else "")
    _emit(f"to be appended to {path}:")
    _emit("\n".join(f"  {line}" for line in text.rstrip().splitlines()))
    if not yes:
        if not interactive:
            raise BadInput(f"{missing}: pass --yes to write the profile above")
        if not click.confirm(f"Append this to {path}", default=True):
            raise DeployError(f"not confirmed: {path} is unchanged")
    sso.append_profile(path, text)
    _emit(f"profile {new.profile} written to {path}")


COMMANDS = (login,)
