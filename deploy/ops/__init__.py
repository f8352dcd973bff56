"""Operations on a running environment: the services, images, secrets, logs and health.

    context.py     Ops: the AWS clients, config and names an operation needs; AWS errors as one line
    ecs.py         the three ECS services: state, waits, scale, restart, ECS Exec
    images.py      build, push and roll out the service image
    secrets.py     list, inspect and set the Secrets Manager secrets (values only on request)
    logs.py        CloudWatch Logs: show and follow a service's logs
    health.py      GET the load balancer's /health
    services.py    the services' status rows, their events and their stopped tasks
    doctor.py      the spec's Common Issues as read-only checks (doctor)
    drift.py       CloudFormation drift detection, property by property

May import deploy.engine, deploy.aws and deploy.errors; never deploy.ui or deploy.commands.
"""
