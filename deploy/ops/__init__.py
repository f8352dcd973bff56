"""Operations on a running environment: the services, images, secrets, logs and health.

    context.py     Ops: the AWS clients, config and names an operation needs; AWS errors as one line
    ecs.py         the three ECS services: state, waits, scale, restart, ECS Exec
    images.py      build, push and roll out the service image
    secrets.py     list and set the Secrets Manager secrets (values never shown)
    logs.py        CloudWatch Logs: show and follow a service's logs
    health.py      GET the load balancer's /health

May import deploy.engine, deploy.aws and deploy.errors; never deploy.ui or deploy.commands.
"""
