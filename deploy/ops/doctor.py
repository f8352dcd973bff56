"""`doctor`: the spec's "Common Issues" table, run against a deployed environment, and what an
on-call engineer checks next. Read-only: only Describe/List/Get calls (no drift detection is
started: the stacks' last drift status is read; `drift` starts one).

Each check ends ✔ (pass), ✘ (fail) or – (not applicable: nothing to check yet), with evidence
lines and, on failure, the exact command that fixes it (hints carry --local in local mode). A
check that cannot read what it needs fails with AWS's answer: an unknown is not a pass.

    Tasks keep restarting       stopped tasks of the last hour by reason; secrets the task
                                definitions read: missing, not JSON, no such key, required and empty
    Health check failing        target health per target group (AWS reason codes); GET /health
    Cannot pull image           the task definitions' image tags exist in ECR
    Database timeout            live SG rules ECS -> RDS 5432 and ECS -> Redis 6379; the database
                                subnets' route tables; RDS `available`
    Redis connection refused    transit encryption and AUTH on; redis-auth holds a token of valid shape
    next checks                 alarms in ALARM (since when), alarm e-mail subscriptions pending,
                                DLQ messages (oldest age), stacks failed / not deployed / drifted

A nested deployment (`python -m deploy main`) is checked the same way: the stack checks read its
children and the master `hana-<env>` (the command passes them after nested.find_children), and a
fix that redeploys says `main`, since `stack` refuses a nested environment.

A secret's value never leaves this module: it is classified (set, empty, no key, bad shape) and dropped.

long: fourteen small, independent checks in the order of the spec's table; one file reads as
that table, and they share the environment's names and the evidence format.

Exported: Check, Doctor, PASS, FAIL, NA, SYMBOL.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from deploy.engine.cfn import error_code, error_text, is_aws_error, outputs_of
from deploy.ops import ecs, services
from deploy.ops.context import Ops

PASS, FAIL, NA = "pass", "fail", "n/a"
SYMBOL = {PASS: "✔", FAIL: "✘", NA: "–"}
OPTIONAL_SECRETS = ("openai-api-key", "elevenlabs-api-key")  # the spec: only the Anthropic key is REQUIRED
RESTART_WINDOW = timedelta(hours=1)


@dataclass
class Check:
    id: str
    issue: str  # the Common Issues row (or "Next checks")
    title: str
    state: str = PASS
    evidence: list[str] = field(default_factory=list)
    fix: str | None = None

    def failed(self, line: str, fix: str | None = None) -> None:
        self.state = FAIL
        self.evidence.append(line)
        if fix and not self.fix:
            self.fix = fix

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Doctor:
    """One run of the checks. `stacks`: stack key -> DescribeStacks' stack (None: not deployed);
    `command`: the hint prefix (`python -m deploy --env dev --local`); `aws_cli`: the options an
    `aws ...` hint needs (profile or endpoint, region)."""

    ops: Ops
    stacks: dict[str, dict[str, Any] | None]
    stack_names: dict[str, str]
    command: str
    aws_cli: str = ""
    local: bool = False
    probe: Callable[[str], Any] | None = None  # GET /health (None: not called, e.g. on the emulator)
    nested: bool = False  # deployed with `main`: stacks are its children (and `main`), fixed by `main`
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _services: Any = None
    _definitions: Any = None

    # --- shared reads ---------------------------------------------------------------------------

    def out(self, key: str) -> dict[str, str]:
        return outputs_of(self.stacks.get(key))

    def prepare(self) -> None:
        """The services and their task definitions, read once for the checks that need them."""
        keys = [s.name for s in self.ops.cfg.services]
        try:
            self._services = ecs.describe(self.ops, keys)
            self._definitions = services.task_definitions(
                self.ops, [st.task_definition for st in self._services.values()]
            )
        except Exception as err:
            if not (is_aws_error(err) or type(err).__name__ == "DeployError"):
                raise
            self._services, self._definitions = err, {}

    def _need_services(self, check: Check) -> dict[str, Any] | None:
        if isinstance(self._services, Exception):
            check.state = NA
            check.evidence.append(f"no services to check: {' '.join(str(self._services).split())}")
            check.fix = self._deploy("compute")
            return None
        return self._services

    def _containers(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for key, st in (self._services or {}).items():
            for c in (self._definitions or {}).get(st.task_definition, {}).get("containerDefinitions") or []:
                found.append((key, c))
        return found

    # --- run ----------------------------------------------------------------------------------

    def run(self) -> list[Check]:
        self.prepare()
        checks: list[tuple[str, str, str, Callable[[Check], None]]] = [
            ("restarting-tasks", "Tasks keep restarting", "stopped tasks in the last hour", self.restarting),
            ("secrets", "Tasks keep restarting", "secrets the task definitions read", self.secrets),
            ("target-health", "Health check failing", "load balancer target health", self.target_health),
            ("health-endpoint", "Health check failing", "GET /health", self.health_endpoint),
            ("image", "Cannot pull image", "image tags in ECR", self.image),
            ("rds-ingress", "Database timeout", "ECS -> RDS 5432 allowed", self.rds_ingress),
            ("redis-ingress", "Database timeout", "ECS -> Redis 6379 allowed", self.redis_ingress),
            ("db-subnets", "Database timeout", "database subnets route", self.db_subnets),
            ("rds-available", "Database timeout", "RDS instance available", self.rds_available),
            ("redis-auth", "Redis connection refused", "Redis TLS, AUTH and token", self.redis_auth),
            ("alarms", "Next checks", "alarms in ALARM", self.alarms),
            ("subscriptions", "Next checks", "alarm e-mail subscriptions", self.subscriptions),
            ("dlq", "Next checks", "dead-letter queue", self.dlq),
            ("stacks", "Next checks", "stacks failed, missing or drifted", self.stack_states),
        ]

        def one(spec: tuple[str, str, str, Callable[[Check], None]]) -> Check:
            check = Check(spec[0], spec[1], spec[2])
            try:
                spec[3](check)
            except Exception as err:
                if not (is_aws_error(err) or type(err).__name__ == "DeployError"):
                    raise
                check.state = FAIL
                check.evidence.append(f"could not check: {error_text(err)}")
            return check

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, checks))

    def _deploy(self, key: str, extra: str = "") -> str:
        """The command that (re)deploys stack `key`: `stack KEY`, or `main` in a nested deployment
        (its children are updated through the master; `stack` refuses there)."""
        if self.nested or key == "main":
            return f"{self.command} main{extra}"
        return f"{self.command} stack {key}{extra}"

    def _logs(self, key: str) -> str:
        return f"{self.command} logs {key} --since 1h"

    # --- Tasks keep restarting ------------------------------------------------------------------

    def restarting(self, check: Check) -> None:
        if self._need_services(check) is None:
            return
        stopped = services.stopped_tasks(self.ops, since=self.now - RESTART_WINDOW)
        if not stopped:
            check.evidence.append("no task stopped in the last hour")
            return
        groups = Counter((s.reason, s.exits()) for s in stopped)
        by_service = Counter(s.service for s in stopped)
        check.state = FAIL
        check.evidence.append(
            f"{len(stopped)} task{'s' if len(stopped) != 1 else ''} stopped in the last hour ("
            + ", ".join(f"{k} {n}" for k, n in sorted(by_service.items()))
            + ")"
        )
        for (reason, exits), n in groups.most_common():
            check.evidence.append(f"{n}x {reason}" + (f" [{exits}]" if exits != "-" else ""))
        newest = stopped[0]
        reasons = " ".join(r for (r, _), _ in groups.items()).lower()
        if "cannotpullcontainer" in reasons or "pull image" in reasons:
            check.fix = f"{self.command} push --context APP_DIR"
        elif "secret" in reasons:
            check.fix = f"{self.command} secrets list"
        else:
            check.fix = self._logs(newest.service)

    def secrets(self, check: Check) -> None:
        if self._need_services(check) is None:
            return
        refs: dict[tuple[str, str], set[str]] = {}
        for key, container in self._containers():
            for s in container.get("secrets") or []:
                parts = str(s.get("valueFrom", "")).split(":")
                if len(parts) < 7:
                    continue
                arn = ":".join(parts[:7])
                json_key = parts[7] if len(parts) > 7 else ""
                refs.setdefault((arn, json_key), set()).add(key)
        if not refs:
            check.state = NA
            check.evidence.append("the task definitions read no secrets")
            return
        sm = self.ops.client("secretsmanager")
        values: dict[str, Any] = {}
        for arn in {a for a, _ in refs}:
            try:
                values[arn] = sm.get_secret_value(SecretId=arn).get("SecretString")
            except Exception as err:
                if not is_aws_error(err):
                    raise
                values[arn] = err
        ok = 0
        for (arn, json_key), readers in sorted(refs.items()):
            name = arn.rsplit(":", 1)[-1]
            short = name.rsplit("-", 1)[0]  # Secrets Manager adds -XXXXXX to the ARN
            key = short.rsplit("/", 1)[-1]
            who = ", ".join(sorted(readers))
            value = values[arn]
            fix = f"{self.command} secrets set {key}" + (" --overwrite-generated" if _generated(key) else "")
            state = _classify(value, json_key)
            del value
            if state == "set":
                ok += 1
            elif state == "empty" and key in OPTIONAL_SECRETS:
                check.evidence.append(f"{short} is empty (optional; read by {who})")
                ok += 1
            else:
                check.failed(f"{short}: {state} (read by {who}: their tasks cannot start)", fix)
        del values
        if check.state == PASS:
            check.evidence.insert(0, f"{ok} secret references resolve to a value")

    # --- Health check failing -------------------------------------------------------------------

    def target_health(self, check: Check) -> None:
        services_ = self._need_services(check)
        if services_ is None:
            return
        out = self.out("compute")
        names = {
            key: out[f"{key.capitalize()}TargetGroupFullName"].split("/")[1]
            for key in ("api", "ws")
            if out.get(f"{key.capitalize()}TargetGroupFullName")
        }
        if not names:
            check.state = NA
            check.evidence.append("compute has no target group outputs")
            return
        elb = self.ops.client("elbv2")
        running = 0
        for key, name in names.items():
            arn = elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
            health = elb.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions") or []
            states = Counter(h["TargetHealth"]["State"] for h in health)
            running += services_[key].running if key in services_ else 0
            if not health:
                if key in services_ and services_[key].desired > 0:
                    check.failed(
                        f"{name}: no registered targets while {key} wants {services_[key].desired} task(s)",
                        self._logs(key),
                    )
                else:
                    check.evidence.append(f"{name}: no targets ({key} is at 0 tasks)")
                continue
            summary = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
            bad = [h for h in health if h["TargetHealth"]["State"] not in ("healthy", "draining")]
            if not bad:
                check.evidence.append(f"{name}: {summary}")
                continue
            for h in bad:
                th = h["TargetHealth"]
                check.failed(
                    f"{name}: target {h['Target']['Id']}:{h['Target'].get('Port', '')} {th['State']}"
                    f" ({th.get('Reason', '-')}: {th.get('Description', '')})".rstrip(": )")
                    + ")",
                    self._logs(key),
                )
        if check.state == PASS and running == 0 and all("no targets" in e for e in check.evidence):
            check.state = NA

    def health_endpoint(self, check: Check) -> None:
        out = self.out("compute")
        base = out.get("ServiceUrl") or (f"http://{out['AlbDnsName']}" if out.get("AlbDnsName") else None)
        if not base:
            check.state = NA
            check.evidence.append("compute is not deployed: no load balancer")
            return
        url = base.rstrip("/") + "/health"
        if self.probe is None:
            check.state = NA
            check.evidence.append(f"not called: the emulator's load balancer serves no traffic ({url})")
            return
        answer = self.probe(url)
        if answer.healthy:
            check.evidence.append(answer.line())
        else:
            check.failed(answer.line(), self._logs("api"))

    # --- Cannot pull image ----------------------------------------------------------------------

    def image(self, check: Check) -> None:
        if self._need_services(check) is None:
            return
        ecr = self.ops.client("ecr")
        seen: dict[str, list[str]] = {}
        for key, container in self._containers():
            image = str(container.get("image", ""))
            if ".dkr.ecr." not in image or "@" in image:
                continue
            seen.setdefault(image, []).append(key)
        if not seen:
            check.state = NA
            check.evidence.append("no ECR image in the task definitions")
            return
        for image, keys in sorted(seen.items()):
            repo_tag = image.split("/", 1)[1]
            repo, _, tag = repo_tag.rpartition(":")
            who = ", ".join(keys)
            try:
                ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])
            except Exception as err:
                if error_code(err) == "ImageNotFoundException":
                    check.failed(
                        f"{repo}:{tag} is not in ECR ({who} run it: CannotPullContainerError)",
                        f"{self.command} push --context APP_DIR",
                    )
                    continue
                if error_code(err) == "RepositoryNotFoundException":
                    check.failed(f"repository {repo} does not exist", self._deploy("storage"))
                    continue
                raise
            check.evidence.append(f"{repo}:{tag} is in ECR ({who})")

    # --- Database timeout -----------------------------------------------------------------------

    def _ingress(self, check: Check, target_output: str, port: int, what: str) -> None:
        net = self.out("network")
        source, target = net.get("EcsSecurityGroupId"), net.get(target_output)
        if not source or not target:
            check.state = NA
            check.evidence.append("network is not deployed")
            check.fix = self._deploy("network")
            return
        group = self.ops.client("ec2").describe_security_groups(GroupIds=[target])["SecurityGroups"][0]
        for rule in group.get("IpPermissions") or []:
            low, high = rule.get("FromPort"), rule.get("ToPort")
            any_port = rule.get("IpProtocol") == "-1"
            covers = any_port or (rule.get("IpProtocol") == "tcp" and low is not None and low <= port <= high)
            if covers and any(p.get("GroupId") == source for p in rule.get("UserIdGroupPairs") or []):
                check.evidence.append(f"{group.get('GroupName', target)} ({target}) allows {port} from {source} (ECS)")
                return
        check.failed(
            f"{group.get('GroupName', target)} ({target}) has no rule allowing tcp {port} from the ECS group {source}: "
            f"{what} times out",
            f"aws ec2 authorize-security-group-ingress --group-id {target} --protocol tcp --port {port} "
            f"--source-group {source}{self.aws_cli}",
        )

    def rds_ingress(self, check: Check) -> None:
        self._ingress(check, "RdsSecurityGroupId", 5432, "PostgreSQL")

    def redis_ingress(self, check: Check) -> None:
        self._ingress(check, "RedisSecurityGroupId", 6379, "Redis")

    def db_subnets(self, check: Check) -> None:
        net = self.out("network")
        subnets = [s for s in (net.get("DatabaseSubnetIds") or "").split(",") if s]
        cidr = net.get("VpcCidr")
        if not subnets:
            check.state = NA
            check.evidence.append("network is not deployed")
            return
        ec2 = self.ops.client("ec2")
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
        associated: dict[str, dict[str, Any]] = {}
        for table in tables.get("RouteTables") or []:
            for a in table.get("Associations") or []:
                if a.get("SubnetId") in subnets:
                    associated[a["SubnetId"]] = table
        for subnet in subnets:
            table = associated.get(subnet)
            if table is None:
                check.failed(
                    f"{subnet} has no route table of its own (it uses the VPC's main table)",
                    f"{self.command} drift network",
                )
                continue
            local = any(
                r.get("GatewayId") == "local" and (cidr is None or r.get("DestinationCidrBlock") == cidr)
                for r in table.get("Routes") or []
            )
            if not local:
                check.failed(
                    f"{subnet}: {table['RouteTableId']} has no local route for {cidr}", f"{self.command} drift network"
                )
            else:
                check.evidence.append(f"{subnet}: {table['RouteTableId']} routes {cidr or 'the VPC'} locally")

    def rds_available(self, check: Check) -> None:
        ident = self.out("database").get("DbInstanceIdentifier")
        if not ident:
            check.state = NA
            check.evidence.append("database is not deployed")
            check.fix = self._deploy("database")
            return
        db = self.ops.client("rds").describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        status = db.get("DBInstanceStatus", "?")
        if status == "available":
            check.evidence.append(f"{ident} is available")
        elif status == "stopped":
            check.failed(
                f"{ident} is stopped", f"aws rds start-db-instance --db-instance-identifier {ident}{self.aws_cli}"
            )
        else:
            check.failed(f"{ident} is {status} (not accepting connections until available)")

    # --- Redis connection refused ---------------------------------------------------------------

    def redis_auth(self, check: Check) -> None:
        group_id = self.out("database").get("RedisReplicationGroupId")
        if not group_id:
            check.state = NA
            check.evidence.append("database is not deployed")
            check.fix = self._deploy("database")
            return
        group = self.ops.client("elasticache").describe_replication_groups(ReplicationGroupId=group_id)
        rg = group["ReplicationGroups"][0]
        drift = f"{self.command} drift database"
        if rg.get("TransitEncryptionEnabled"):
            check.evidence.append(f"{group_id}: transit encryption on (clients connect with TLS: REDIS_TLS=true)")
        else:
            check.failed(f"{group_id}: transit encryption is off, the services connect with TLS", drift)
        if rg.get("AuthTokenEnabled"):
            check.evidence.append(f"{group_id}: AUTH on")
        else:
            check.failed(f"{group_id}: AUTH is off, the services send REDIS_AUTH_TOKEN", drift)
        from deploy.ops import secrets as sec
        from hana_templates import naming

        kind = sec.KINDS()[naming.REDIS_AUTH_SECRET]
        name = naming.secret_name(self.ops.cfg, kind.key)
        try:
            text = self.ops.client("secretsmanager").get_secret_value(SecretId=name).get("SecretString")
        except Exception as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
            check.failed(f"{name} does not exist", self._deploy("secrets"))
            return
        problem = _token_problem(text, kind)
        del text
        if problem:
            check.failed(
                f"{name}: {problem} (value not shown)",
                f"{self.command} secrets set {kind.key} --overwrite-generated",
            )
        else:
            check.evidence.append(f"{name} holds a token of valid shape (value not shown)")

    # --- next checks ----------------------------------------------------------------------------

    def alarms(self, check: Check) -> None:
        from hana_templates import naming

        prefix = naming.prefix(self.ops.cfg) + "-"
        cw = self.ops.client("cloudwatch")
        found = []
        kwargs: dict[str, Any] = {"StateValue": "ALARM", "AlarmNamePrefix": prefix}
        while True:
            page = cw.describe_alarms(**kwargs)
            # the state filter is applied here too: moto answers StateValue=ALARM with every alarm
            found += [a for a in page.get("MetricAlarms") or [] if a.get("StateValue") == "ALARM"]
            found += [a for a in page.get("CompositeAlarms") or [] if a.get("StateValue") == "ALARM"]
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        if not found:
            check.evidence.append(f"no alarm {prefix}* is in ALARM")
            return
        for alarm in sorted(found, key=lambda a: a["AlarmName"]):
            since = alarm.get("StateUpdatedTimestamp")
            when = f" since {_utc(since):%Y-%m-%d %H:%M} UTC" if isinstance(since, datetime) else ""
            name = alarm["AlarmName"]
            service = next((s.name for s in self.ops.cfg.services if f"-{s.name}-" in name), None)
            fix = self._logs(service) if service else (f"{self.command} status" if "dlq" not in name else None)
            reason = " ".join(str(alarm.get("StateReason") or "").split())
            check.failed(f"{name} in ALARM{when}" + (f": {reason}" if reason else ""), fix)

    def subscriptions(self, check: Check) -> None:
        topic = self.out("observability").get("AlarmTopicArn")
        if not topic:
            check.state = NA
            check.evidence.append("observability is not deployed")
            return
        sns = self.ops.client("sns")
        subs = []
        kwargs: dict[str, Any] = {"TopicArn": topic}
        while True:
            page = sns.list_subscriptions_by_topic(**kwargs)
            subs += page.get("Subscriptions") or []
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        emails = [s for s in subs if s.get("Protocol") in ("email", "email-json")]
        if not emails:
            check.state = NA
            check.evidence.append("no e-mail subscription (config.py alarm_email is not set)")
            return
        for s in emails:
            # An unconfirmed subscription's ARN is the literal "PendingConfirmation" (SNS ListSubscriptionsByTopic).
            if s.get("SubscriptionArn") == "PendingConfirmation":
                check.failed(
                    f"{s.get('Endpoint')} has not confirmed: alarms do not reach it",
                    None,
                )
                check.evidence.append("  confirm the link in the e-mail AWS Notifications sent to that address")
            else:
                check.evidence.append(f"{s.get('Endpoint')} confirmed")

    def dlq(self, check: Check) -> None:
        out = self.out("messaging")
        name = out.get("AgentRunsDlqName")
        if not name:
            check.state = NA
            check.evidence.append("messaging is not deployed")
            return
        sqs = self.ops.client("sqs")
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        count = int(attrs.get("ApproximateNumberOfMessages", 0)) + int(
            attrs.get("ApproximateNumberOfMessagesNotVisible", 0)
        )
        if count == 0:
            check.evidence.append(f"{name} is empty")
            return
        # SQS has no attribute for the oldest message's age; the CloudWatch metric ApproximateAgeOfOldestMessage
        # has it ("for dead-letter queues, the longest time that a message has been in the queue", Amazon SQS
        # metrics). Reading it keeps the messages untouched (receiving one would hide it from the workers).
        stats = self.ops.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": name}],
            StartTime=self.now - timedelta(minutes=15),
            EndTime=self.now,
            Period=300,
            Statistics=["Maximum"],
        )
        points = sorted(stats.get("Datapoints") or [], key=lambda p: p["Timestamp"])
        age = f", the oldest {_age(points[-1]['Maximum'])} old" if points else " (oldest age: no metric yet)"
        check.failed(
            f"{name} holds {count} message{'s' if count != 1 else ''}{age}: agent runs the workers gave up on",
            f"{self.command} logs workers --since 1h --filter ERROR",
        )

    def stack_states(self, check: Check) -> None:
        for key, stack in self.stacks.items():
            name = self.stack_names[key]
            if stack is None:
                check.failed(f"{name} is not deployed", self._deploy(key))
                continue
            status = stack.get("StackStatus", "?")
            drift = (stack.get("DriftInformation") or {}).get("StackDriftStatus")
            if status.endswith("_FAILED") or status == "ROLLBACK_COMPLETE":
                extra = " --continue-rollback" if status == "UPDATE_ROLLBACK_FAILED" else ""
                reason = " ".join(str(stack.get("StackStatusReason") or "").split())
                check.failed(f"{name} is {status}" + (f": {reason}" if reason else ""), self._deploy(key, extra))
            elif drift == "DRIFTED":
                check.failed(
                    f"{name} drifted (last detection)", f"{self.command} drift" + ("" if key == "main" else f" {key}")
                )
            elif status.endswith("_IN_PROGRESS"):
                check.evidence.append(f"{name} is {status}")
        if check.state == PASS:
            check.evidence.insert(0, f"{len(self.stacks)} stacks deployed, none failed or known to have drifted")


def _generated(key: str) -> bool:
    from hana_templates import naming

    return key in (naming.RDS_MASTER_SECRET, naming.REDIS_AUTH_SECRET, naming.JWT_SECRET, naming.GATEWAY_TOKEN_SECRET)


def _classify(value: Any, json_key: str) -> str:
    """set / empty / no value / not JSON / no <key> / unreadable: never the value."""
    if isinstance(value, Exception):
        code = error_code(value)
        return "no value" if code == "ResourceNotFoundException" else f"unreadable ({code})"
    if value is None:
        return "no value"
    if not json_key:
        return "set" if value.strip() else "empty"
    try:
        data = json.loads(value)
    except ValueError:
        return f"not JSON (the task reads its key {json_key})"
    if not isinstance(data, dict):
        return f"not JSON (the task reads its key {json_key})"
    if json_key not in data:
        return f"no JSON key {json_key} (the task definition reads it)"
    return "set" if str(data[json_key]).strip() else "empty"


def _token_problem(text: str | None, kind: Any) -> str | None:
    if text is None:
        return "no value"
    try:
        data = json.loads(text)
    except ValueError:
        return "not JSON"
    token = data.get(kind.field) if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        return f"no {kind.field}"
    # ElastiCache AUTH tokens: 16-128 printable characters, no @ " / (the Kind carries the rule)
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        return "the token has spaces, control or non-ASCII characters"
    problem = kind.check(token)
    return problem[0] if problem else None


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
