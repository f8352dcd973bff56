"""Credentials, endpoint and the preflight identity check.

`Aws` wraps one boto3 Session (a named profile, usually SSO) and hands out clients, all with
the same region, endpoint and retry policy. `Aws.identity()` asks STS who we are before
anything changes; `Aws.preflight(cfg)` also refuses an account other than the one the
environment pins. Every credential problem becomes one DeployError line that says what to run.

With an endpoint on this machine (the local emulator) and no credentials anywhere, dummy
credentials are used: nothing on 127.0.0.1 checks them, and nothing can reach AWS with them.

An endpoint elsewhere needs the named opt-in `--trust-endpoint` (`Settings.trust_endpoint`):
every call would be signed with the real profile's credentials and sent there, and that endpoint
would answer the account check (STS) itself. The same holds for the endpoints boto3 takes from
the environment and the AWS config file without being asked (AWS SDKs and Tools reference guide,
"Service-specific endpoints": `AWS_ENDPOINT_URL_<SERVICE>` variables and a profile's
`endpoint_url` / `services` settings override the default endpoints, and `AWS_ENDPOINT_URL_<SERVICE>`
wins over `AWS_ENDPOINT_URL`; an endpoint passed to the client wins over all of them): without an
endpoint of ours they are refused (`configured_endpoints`), with `--trust-endpoint` honoured as
boto3 does. `$AWS_ENDPOINT_URL` itself is `--endpoint-url`'s default, checked like it.

Exported: Settings, Identity, Aws, LOGIN_HINT, REJECTED (the error codes of rejected credentials),
credentials_failed (those, and botocore's SSO refresh failures, mid-run), credentials_expiry,
expiry_warning, expiry_text and DEPLOY_BUDGET_SECONDS (the warning before a long run), is_unreachable,
unreachable_text (a lost endpoint as one line), TRUST_FLAG, untrusted_endpoint_text, configured_endpoints.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from deploy.errors import BadInput, DeployError
from hana_templates.config import EnvConfig

LOGIN_HINT = "python -m deploy login --profile {profile}"
TRUST_FLAG = "--trust-endpoint"
_ENDPOINT_VAR = "AWS_ENDPOINT_URL"
# Region names: <area>-<direction>-<n>, with the partitions' infixes (us-gov-west-1, cn-north-1, eusc-de-east-1).
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 - a comparison, not a bind
REJECTED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidToken",
    "AuthFailure",
}


def credentials_failed(err: BaseException) -> str | None:
    """What made AWS refuse our credentials mid-run (the error code, or botocore's exception name),
    or None for any other error. Expired sessions answer `ExpiredToken` (query APIs such as
    CloudFormation and STS; eksctl #5968 saw it from DescribeStacks mid-wait) or
    `ExpiredTokenException` (JSON APIs; cloud-custodian #9216); an SSO session that ended fails
    botocore's refresh with TokenRetrievalError / UnauthorizedSSOTokenError / SSOTokenLoadError."""
    import botocore.exceptions as bce

    if isinstance(err, bce.ClientError):
        code = err.response.get("Error", {}).get("Code", "")
        return code if code in REJECTED else None
    if isinstance(
        err,
        bce.TokenRetrievalError
        | bce.UnauthorizedSSOTokenError
        | bce.SSOTokenLoadError
        | bce.SSOError
        | bce.CredentialRetrievalError
        | bce.NoCredentialsError,
    ):
        return type(err).__name__
    return None


@dataclass(frozen=True)
class Settings:
    """The global command-line options."""

    env: str = "dev"
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    debug: bool = False
    emulator: bool = False  # --local: the local emulator, dummy credentials, no AWS config read
    trust_endpoint: bool = False  # --trust-endpoint: a non-local endpoint may sign with real credentials
    endpoint_from_env: bool = False  # endpoint_url came from $AWS_ENDPOINT_URL (for the refusal's wording)

    def __post_init__(self) -> None:
        if self.region is not None and not _REGION.fullmatch(self.region):
            raise BadInput(
                f"--region {self.region[:40]!r} is not an AWS region name; e.g. us-east-1, eu-west-1, ap-southeast-2"
            )
        if self.endpoint_url is not None:
            url = urlparse(self.endpoint_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise BadInput(f"--endpoint-url {self.endpoint_url!r} is not a URL; e.g. http://127.0.0.1:4566")
            if not self.local and not self.trust_endpoint:
                raise BadInput(untrusted_endpoint_text(self.endpoint_url, self.endpoint_from_env, self.env))

    @property
    def local(self) -> bool:
        return self.emulator or (self.endpoint_url is not None and urlparse(self.endpoint_url).hostname in _LOOPBACK)


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1] if self.arn.count(":") >= 5 else "aws"

    @property
    def principal(self) -> str:
        """`role AdministratorAccess (SSO), session alice@example.com`, `user ci`, `root`."""
        resource = self.arn.split(":", 5)[-1]
        kind, _, rest = resource.partition("/")
        if kind == "assumed-role":
            role, _, session = rest.partition("/")
            if role.startswith("AWSReservedSSO_"):
                role = role.removeprefix("AWSReservedSSO_").rsplit("_", 1)[0] + " (SSO)"
            return f"role {role}" + (f", session {session}" if session else "")
        if kind == "user":
            return f"user {rest.rsplit('/', 1)[-1]}"
        return resource


class Aws:
    """boto3 clients for one profile/region/endpoint. Thread-safe: clients are made under a lock
    (boto3 sessions are not thread-safe; the clients they make are)."""

    def __init__(self, settings: Settings, region: str, session: Any = None):
        self.settings = settings
        self.region = region
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._identity: Identity | None = None
        self._asking: Future[Identity] | None = None
        self._session = session if session is not None else self._make_session()

    @property
    def endpoint_url(self) -> str | None:
        return self.settings.endpoint_url

    @property
    def profile(self) -> str | None:
        return self.settings.profile

    def _make_session(self) -> Any:
        import boto3
        import botocore.exceptions as bce

        if self.settings.emulator:
            from hana_emulator import client

            return client.session(self.region)
        profile = self.settings.profile
        try:
            session = boto3.Session(profile_name=profile, region_name=self.region)
        except bce.ProfileNotFound:
            raise DeployError(
                f"AWS profile {profile!r} is not in your AWS config: set it up and sign in with "
                f"`{LOGIN_HINT.format(profile=profile)}`"
            ) from None
        if self.endpoint_url is None and not self.settings.trust_endpoint:
            found = configured_endpoints(os.environ, session._session.get_scoped_config())
            if found:
                raise BadInput(
                    f"{', '.join(found)} would send AWS calls signed with your credentials somewhere other than "
                    f"AWS (boto3 honours it), and that endpoint could answer the account check itself: remove it, "
                    f"or add {TRUST_FLAG} if you trust it"
                )
        if self.settings.local and profile is None and session.get_credentials() is None:
            session = boto3.Session(
                aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
            )
        return session

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                from botocore.config import Config

                # On this machine (the emulator) a refused connection is final: fail within a second
                # instead of retrying for seven (botocore retries connection errors with backoff).
                near = self.settings.local
                config = Config(
                    retries={"mode": "standard", "max_attempts": 2 if near else 8},
                    connect_timeout=1 if near else 10,
                    read_timeout=60,
                    user_agent_extra="hana-deploy",
                    max_pool_connections=32,
                )
                self._clients[service] = self._session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
                )
            return self._clients[service]

    def identity(self) -> Identity:
        """Who the credentials belong to (STS GetCallerIdentity); one clear DeployError line otherwise.
        After `ask_identity_now`, the answer of that call (its error, when it failed)."""
        if self._identity is None:
            asking, self._asking = self._asking, None
            self._identity = asking.result() if asking is not None else self._ask_identity(self.client("sts"))
        return self._identity

    def ask_identity_now(self) -> None:
        """Start GetCallerIdentity in the background, so it overlaps the first round of stack reads
        (a no-op `all`: two sequential round trips, not three); `identity()` waits for it. Nothing is
        written before `identity()`/`preflight()` has answered."""
        if self._identity is not None or self._asking is not None:
            return
        sts = self.client("sts")  # made here, under the lock; calls on a client are thread-safe
        asking: Future[Identity] = Future()

        def ask() -> None:
            try:
                asking.set_result(self._ask_identity(sts))
            except BaseException as err:  # handed to identity(), raised in the caller's thread
                asking.set_exception(err)

        threading.Thread(target=ask, name="sts-identity", daemon=True).start()
        self._asking = asking

    def _ask_identity(self, sts: Any) -> Identity:
        with translate_credential_errors(self.settings):
            reply = sts.get_caller_identity()
        return Identity(account=reply["Account"], arn=reply["Arn"])

    def preflight(self, cfg: EnvConfig) -> Identity:
        """The identity, after refusing an account other than the one `cfg` pins."""
        ident = self.identity()
        if cfg.account_id is not None and ident.account != cfg.account_id and not self.settings.emulator:
            who = f"profile {self.profile}" if self.profile else "your credentials"
            raise DeployError(
                f"{who} signed in to account {ident.account}, but environment {cfg.name} lives in account "
                f"{cfg.account_id}: refusing to deploy there; sign in to {cfg.account_id} with "
                f"`{LOGIN_HINT.format(profile='<profile of ' + cfg.account_id + '>')}` and pass --profile"
            )
        return ident

    def describe(self, cfg: EnvConfig) -> str:
        """One line for the user before anything changes: where we are about to work."""
        ident = self.identity()
        where = f" via {self.endpoint_url}" if self.endpoint_url else ""
        profile = f" (profile {self.profile})" if self.profile else ""
        return f"environment {cfg.name}: account {ident.account}, {ident.principal}{profile}, {self.region}{where}"


def untrusted_endpoint_text(url: str, from_env: bool, env: str) -> str:
    """The refusal of a non-local endpoint without --trust-endpoint: one line, the flag named, and
    a hint that parses (a read-only `status` through that endpoint)."""
    what = f"${_ENDPOINT_VAR}={url}" if from_env else f"--endpoint-url {url}"
    alternative = f"unset {_ENDPOINT_VAR}, or " if from_env else ""
    return (
        f"{what} is not on this machine: every AWS call would be signed with your credentials and sent there, "
        f"and it would answer the account check itself; {alternative}add {TRUST_FLAG} if you trust it "
        f"(`python -m deploy --env {env} --endpoint-url {url} {TRUST_FLAG} status`)"
    )


def configured_endpoints(environ: Mapping[str, str], scoped_config: Mapping[str, Any]) -> list[str]:
    """The endpoint settings boto3 would apply by itself to a client given no endpoint: the
    `AWS_ENDPOINT_URL_<SERVICE>` variables and the profile's `endpoint_url` / `services` (unless
    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` / `ignore_configured_endpoint_urls` is true), as
    `NAME=value` / `endpoint_url in the AWS config` for the refusal."""
    ignore = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or scoped_config.get("ignore_configured_endpoint_urls")
    if str(ignore).strip().lower() == "true":
        return []
    found = [
        f"{name}={value}" for name, value in sorted(environ.items()) if name.startswith(f"{_ENDPOINT_VAR}_") and value
    ]
    found += [f"`{key}` in the AWS config profile" for key in ("endpoint_url", "services") if scoped_config.get(key)]
    return found


# How long the credentials must last for `all`, `main` or `delete` to finish without a new login:
# the nine-stack create's critical path is 1185 s (~20 min; bench/deploy_bench.py's CloudFormation
# durations: network 180 s, RDS + ElastiCache 660 s, ECS 300 s, ...), prod's Multi-AZ database and
# a slow rollback take longer: 1.5 x that, rounded up, is 30 min.
DEPLOY_BUDGET_SECONDS = 30 * 60


def credentials_expiry(aws: Aws) -> datetime | None:
    """When the credentials stop working unless the user signs in again, when we can know it:
    an SSO profile's cached access token (`expiresAt`) when botocore cannot renew it by itself (no
    refresh token cached), or keys from the environment with AWS_CREDENTIAL_EXPIRATION. None: not
    known, or renewed by botocore (role credentials are re-fetched with the SSO token)."""
    if aws.settings.local:
        return None
    from botocore.utils import JSONFileCache, SSOTokenLoader

    from deploy.aws import login

    try:
        sso = login.sso_profile(aws.profile)
    except BadInput:
        sso = None
    if sso is not None:
        loader = SSOTokenLoader(cache=JSONFileCache(str(login.token_cache_dir())))
        try:
            token = loader(sso.start_url, session_name=sso.session_name)
        except Exception:  # noqa: BLE001 - no cached token: the preflight identity check says "run login"
            return None
        if token.get("refreshToken") or not token.get("expiresAt"):
            return None
        return _parse_time(str(token["expiresAt"]))
    try:
        creds = aws._session.get_credentials()
    except Exception:  # noqa: BLE001 - the identity check reports credential problems
        return None
    expiry = getattr(creds, "_expiry_time", None)
    return expiry if getattr(creds, "method", "") == "env" and isinstance(expiry, datetime) else None


def expiry_warning(aws: Aws, command: str, now: datetime, budget: float = DEPLOY_BUDGET_SECONDS) -> str | None:
    """A warning line when the credentials expire sooner than `budget` seconds from `now`."""
    expiry = credentials_expiry(aws)
    return None if expiry is None else expiry_text(aws.profile, command, expiry, now, budget)


def expiry_text(
    profile: str | None, command: str, expiry: datetime, now: datetime, budget: float = DEPLOY_BUDGET_SECONDS
) -> str | None:
    left = (expiry - now).total_seconds()
    if left >= budget:
        return None
    login = f"{command} {LOGIN_HINT.removeprefix('python -m deploy ').format(profile=profile or 'NAME')}"
    when = "have expired" if left <= 0 else f"expire in {max(1, int(left // 60))} min ({expiry:%H:%M} UTC)"
    return (
        f"warning: the credentials of profile {profile or '(default)'} {when}, sooner than this can take "
        f"(up to {budget / 60:.0f} min): sign in again first with `{login}`; if they expire mid-run, the run "
        "stops and says how to resume"
    )


def _parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def is_unreachable(err: BaseException) -> bool:
    """The endpoint did not answer: refused, timed out, or the connection dropped mid-answer."""
    import botocore.exceptions as bce

    return isinstance(err, bce.ConnectionError | bce.HTTPClientError)


def unreachable_text(err: BaseException) -> str:
    """One line for a lost endpoint, the same in every command: where, and what to check."""
    url = (getattr(err, "kwargs", None) or {}).get("endpoint_url") or ""
    parsed = urlparse(url)
    where = f"{parsed.scheme}://{parsed.netloc}" if parsed.netloc else (url or "the AWS endpoint")
    if parsed.hostname in _LOOPBACK:
        return (
            f"cannot reach {where}: is the local emulator running on port {parsed.port}? "
            f"(start it with `python -m deploy local --port {parsed.port}`)"
        )
    return f"cannot reach {where}: check the network (VPN, proxy) and --region"


class translate_credential_errors:  # noqa: N801 - used as a context manager, reads like a statement
    """Turn botocore's many credential failures into one DeployError line that says what to run."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None:
            return False
        import botocore.exceptions as bce

        profile = self.settings.profile
        login = LOGIN_HINT.format(profile=profile or "NAME")
        if isinstance(exc, bce.ProfileNotFound):
            raise DeployError(f"AWS profile {profile!r} is not in your AWS config: run `{login}`") from None
        if isinstance(exc, bce.SSOError | bce.TokenRetrievalError):
            raise DeployError(
                f"the SSO session of profile {profile or '(default)'} is missing or expired: run `{login}`"
            ) from None
        if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError | bce.CredentialRetrievalError):
            if profile:
                raise DeployError(f"profile {profile} has no usable credentials: run `{login}`") from None
            raise DeployError(
                f"no AWS credentials: pass --profile NAME (or set AWS_PROFILE) and run `{login}`"
            ) from None
        if is_unreachable(exc):
            raise DeployError(unreachable_text(exc)) from None
        if isinstance(exc, bce.ClientError) and exc.response.get("Error", {}).get("Code") in REJECTED:
            code = exc.response["Error"]["Code"]
            raise DeployError(
                f"AWS rejected the credentials of profile {profile or '(default)'} ({code}): run `{login}`"
            ) from None
        return False
