"""`login`: refresh a profile's AWS SSO session.

The profile must have SSO settings in the AWS config: either `sso_session = NAME` with an
`[sso-session NAME]` section (sso_start_url, sso_region, optional sso_registration_scopes), or
the legacy `sso_start_url` / `sso_region` on the profile itself. An unknown profile, or one
without SSO settings, is one BadInput line before anything is sent.

With AWS CLI v2 on PATH, `aws sso login --profile NAME` does the work (it is what the spec's
`pnpm aws:login` runs). Otherwise (no CLI, or pip's v1, which has no `sso login`) the OAuth
device authorization flow runs here with boto3's `sso-oidc` client: register a public client,
start the device authorization, print the verification URL and code (and open a browser when
there is a display), poll CreateToken at the interval the service asks for, then write the
token where botocore looks for it: `~/.aws/sso/cache/<sha1>.json`, the sha1 of the sso-session
name (or, for a legacy profile, of the start URL), written by botocore's own JSONFileCache and
SSOTokenLoader (file mode 0600). For an sso-session the client registration and the refresh
token are cached too, so botocore refreshes the access token by itself until the session ends.

A profile that does not exist yet can be written here (`login` offers it): an `[sso-session]`
section (start URL, SSO region, scopes) and a `[profile]` that names it with the account id and
role, as the AWS CLI's own manual configuration shows ("Manual configuration using the config
file", https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html). Sections are only
appended: the rest of the file is never rewritten.

Exported: SsoProfile, sso_profile, ProfileMissing, NewProfile, new_profile_text, append_profile,
cli_v2, DeviceLogin, token_cache_dir, DEVICE_GRANT.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deploy.aws.external import AWS_CLI, parse_version, version_of
from deploy.errors import BadInput, DeployError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_NAME = "hana-deploy"
DEFAULT_SCOPES = ("sso:account:access",)


@dataclass(frozen=True)
class SsoProfile:
    profile: str
    start_url: str
    sso_region: str
    session_name: str | None  # the [sso-session NAME]; None for a legacy profile
    scopes: tuple[str, ...] = ()
    account_id: str | None = None
    role_name: str | None = None


class ProfileMissing(BadInput):
    """The named profile is not in the AWS config file (login can offer to write it)."""

    def __init__(self, message: str, profile: str):
        super().__init__(message)
        self.profile = profile


def config_path() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def config_file() -> Path:
    """The AWS config file, as botocore reads it ($AWS_CONFIG_FILE, else ~/.aws/config)."""
    return Path(os.path.expanduser(config_path()))


@dataclass(frozen=True)
class NewProfile:
    """What `login` writes for a profile that does not exist yet."""

    profile: str
    start_url: str
    sso_region: str
    account_id: str
    role_name: str
    region: str  # the profile's default region (the environment's)
    session_name: str = "hana"


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE = re.compile(r"^[\w+=,.@-]{1,64}$")  # IAM Identity Center permission set names
_NAME = re.compile(r"^[\w.+@-]{1,64}$")


def check_new_profile(new: NewProfile) -> None:
    """BadInput naming the first bad value (what is allowed), before anything is written."""
    problems = [
        (not _NAME.match(new.profile), f"profile name {new.profile!r}: letters, digits, . _ + @ - only"),
        (
            not new.start_url.startswith("https://") or " " in new.start_url,
            f"SSO start URL {new.start_url!r}: expected https://..., e.g. https://my-org.awsapps.com/start",
        ),
        (not _REGION.match(new.sso_region), f"SSO region {new.sso_region!r}: expected a region such as us-east-1"),
        (not _ACCOUNT.match(new.account_id), f"account id {new.account_id!r}: expected 12 digits"),
        (not _ROLE.match(new.role_name), f"role name {new.role_name!r}: expected a permission set name"),
        (not _REGION.match(new.region), f"region {new.region!r}: expected a region such as us-east-1"),
    ]
    for bad, text in problems:
        if bad:
            raise BadInput(text)


def _sessions_in(text: str) -> dict[str, dict[str, str]]:
    import configparser

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {
        section.split(None, 1)[1]: dict(parser.items(section))
        for section in parser.sections()
        if section.startswith("sso-session ") and len(section.split(None, 1)) == 2
    }


def new_profile_text(new: NewProfile, existing: str = "") -> tuple[str, str]:
    """(the text to append, the sso-session name used). An `[sso-session]` of the same start URL
    and region already in `existing` is reused; a same-named one for another URL gets a new name."""
    sessions = _sessions_in(existing)
    name = new.session_name
    for other, values in sessions.items():
        if values.get("sso_start_url") == new.start_url and values.get("sso_region") == new.sso_region:
            name = other
            break
    else:
        while name in sessions:
            name = f"{new.session_name}-{new.profile}" if name == new.session_name else name + "-2"
    lines = []
    if name not in sessions:
        lines += [
            f"[sso-session {name}]",
            f"sso_start_url = {new.start_url}",
            f"sso_region = {new.sso_region}",
            "sso_registration_scopes = sso:account:access",
            "",
        ]
    section = "default" if new.profile == "default" else f"profile {new.profile}"
    lines += [
        f"[{section}]",
        f"sso_session = {name}",
        f"sso_account_id = {new.account_id}",
        f"sso_role_name = {new.role_name}",
        f"region = {new.region}",
    ]
    return "\n".join(lines) + "\n", name


def append_profile(path: Path, text: str) -> None:
    """Append `text` to the config file (created 0600 in a 0700 folder if missing); nothing that
    is there already is rewritten."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    before = path.read_text() if path.exists() else ""
    sep = "" if not before else ("\n" if before.endswith("\n") else "\n\n")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as out:
        out.write(sep + text)


def sso_profile(profile: str | None) -> SsoProfile:
    """The SSO settings of `profile` (default: the `default` profile); BadInput naming what is missing."""
    import botocore.session

    name = profile or "default"
    full = botocore.session.Session().full_config
    profiles = full.get("profiles") or {}
    where = config_path()
    if name not in profiles:
        if profile is None:
            raise BadInput(f"which profile? pass --profile NAME (or set AWS_PROFILE): {where} has no [default] profile")
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileMissing(f"AWS profile {name!r} is not in {where} (profiles there: {known})", name)
    settings = profiles[name]
    if "sso_session" in settings:
        session_name = settings["sso_session"]
        session = (full.get("sso_sessions") or {}).get(session_name)
        if session is None:
            raise BadInput(
                f"profile {name} uses sso_session {session_name}, but {where} has no [sso-session {session_name}] section"
            )
        missing = [k for k in ("sso_start_url", "sso_region") if not session.get(k)]
        if missing:
            raise BadInput(f"[sso-session {session_name}] in {where} lacks {', '.join(missing)}")
        scopes = tuple(s.strip() for s in str(session.get("sso_registration_scopes", "")).split(",") if s.strip())
        return SsoProfile(
            name,
            session["sso_start_url"],
            session["sso_region"],
            session_name,
            scopes or DEFAULT_SCOPES,
            settings.get("sso_account_id"),
            settings.get("sso_role_name"),
        )
    if "sso_start_url" in settings:
        if not settings.get("sso_region"):
            raise BadInput(f"profile {name} in {where} has sso_start_url but no sso_region")
        return SsoProfile(
            name,
            settings["sso_start_url"],
            settings["sso_region"],
            None,
            (),
            settings.get("sso_account_id"),
            settings.get("sso_role_name"),
        )
    raise BadInput(
        f"profile {name} has no SSO settings (sso_session, or sso_start_url and sso_region) in {where}: "
        "login refreshes SSO sessions only; a profile with access keys needs no login"
    )


def cli_v2() -> str | None:
    """The `aws` executable when it is AWS CLI v2 (v1, from pip, has no `aws sso login`)."""
    path = AWS_CLI.find()
    if path is None:
        return None
    text = version_of(path, "--version")
    version = parse_version(text.partition("aws-cli/")[2]) if "aws-cli/" in text else None
    return path if version is not None and version[0] >= 2 else None


def token_cache_dir() -> Path:
    """Where botocore reads SSO tokens (resolved now, from $HOME)."""
    return Path(os.path.expanduser(os.path.join("~", ".aws", "sso", "cache")))


def make_oidc_client(region: str) -> Any:
    """An unsigned sso-oidc client for the SSO region (the device flow needs no credentials)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    return boto3.Session().client("sso-oidc", region_name=region, config=Config(signature_version=UNSIGNED))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DeviceLogin:
    """The device authorization flow for one profile; `run()` returns when the token is cached."""

    profile: SsoProfile
    show: Callable[[str, str], None]  # (verification URL, user code)
    client: Any = None  # sso-oidc; made for the SSO region when None
    sleep: Callable[[float], None] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    cache_dir: Path | None = None

    def run(self) -> datetime:
        """Sign in; returns when the access token expires."""
        import time

        client = self.client or make_oidc_client(self.profile.sso_region)
        sleep = self.sleep or time.sleep
        register: dict[str, Any] = {"clientName": CLIENT_NAME, "clientType": "public"}
        if self.profile.scopes:
            register["scopes"] = list(self.profile.scopes)
        reg = client.register_client(**register)
        auth = client.start_device_authorization(
            clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=self.profile.start_url
        )
        self.show(auth.get("verificationUriComplete") or auth["verificationUri"], auth["userCode"])
        interval = float(auth.get("interval") or 5)
        deadline = self.now() + timedelta(seconds=int(auth.get("expiresIn") or 600))
        errors = client.exceptions
        while True:
            try:
                token = client.create_token(
                    grantType=DEVICE_GRANT,
                    deviceCode=auth["deviceCode"],
                    clientId=reg["clientId"],
                    clientSecret=reg["clientSecret"],
                )
                break
            except errors.AuthorizationPendingException:
                pass
            except errors.SlowDownException:
                interval += 5  # RFC 8628 §3.5
            except errors.ExpiredTokenException:
                raise DeployError("the sign-in code expired before it was approved: run login again") from None
            except errors.AccessDeniedException:
                raise DeployError("the sign-in was denied in the browser: nothing was cached") from None
            if self.now() >= deadline:
                raise DeployError("the sign-in code expired before it was approved: run login again")
            sleep(interval)
        expires = self.now() + timedelta(seconds=int(token["expiresIn"]))
        self._cache(reg, token, expires)
        return expires

    def _cache(self, reg: dict[str, Any], token: dict[str, Any], expires: datetime) -> None:
        from botocore.utils import JSONFileCache, SSOTokenLoader

        record: dict[str, Any] = {
            "startUrl": self.profile.start_url,
            "region": self.profile.sso_region,
            "accessToken": token["accessToken"],
            "expiresAt": _iso(expires),
        }
        if self.profile.session_name is not None:
            # What botocore's SSOTokenProvider needs to refresh the access token on its own.
            record["clientId"] = reg["clientId"]
            record["clientSecret"] = reg["clientSecret"]
            record["registrationExpiresAt"] = _iso(datetime.fromtimestamp(int(reg["clientSecretExpiresAt"]), UTC))
            if token.get("refreshToken"):
                record["refreshToken"] = token["refreshToken"]
        directory = self.cache_dir or token_cache_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        loader = SSOTokenLoader(cache=JSONFileCache(str(directory)))
        loader.save_token(self.profile.start_url, record, session_name=self.profile.session_name)


def can_open_browser() -> bool:
    """A graphical browser is likely: macOS, Windows, or a display. (On a bare server, Python's
    webbrowser would start a text browser inside this terminal.)"""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
