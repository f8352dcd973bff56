"""The stack contract: what a stack consumes (`From`), what it produces (outputs), and what
an operator may set at deploy time (`DeployParameter`).

A stack module declares `SPEC = StackSpec(...)` and `build(cfg) -> Template`. `build` starts
with `Stack(cfg, SPEC)`, which adds one CloudFormation Parameter per input (named after the
upstream output, so one name is used end to end) and per deploy parameter, and ends with
`stack.template()`, which fails if the outputs differ from the ones SPEC declares.

Cross-stack values travel only this way: a Parameter fed by an upstream Output. The deployer
passes the value from `describe_stacks`; main.yaml passes `GetAtt <Child>.Outputs.<Name>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSObject, Output, Parameter, Ref, Template

from . import naming
from .config import EnvConfig
from .errors import ContractError


@dataclass(frozen=True)
class From:
    """An input: the output `output` of stack `stack`, received as a Parameter of the same name."""

    stack: str
    output: str
    type: str = "String"  # or "CommaDelimitedList" for joined lists (subnet ids)

    @property
    def parameter(self) -> str:
        return self.output


@dataclass(frozen=True)
class DeployParameter:
    """A value chosen at deploy time (image tag, desired count), with a safe default."""

    name: str
    type: str
    default: str
    description: str


@dataclass(frozen=True)
class StackSpec:
    name: str
    description: str
    inputs: tuple[From, ...] = ()
    outputs: tuple[str, ...] = ()
    deploy_parameters: tuple[DeployParameter, ...] = ()

    @property
    def upstream(self) -> frozenset[str]:
        return frozenset(i.stack for i in self.inputs)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(i.parameter for i in self.inputs) + tuple(p.name for p in self.deploy_parameters)


class Stack:
    """A template under construction for one stack, held to its SPEC."""

    def __init__(self, cfg: EnvConfig, spec: StackSpec):
        self.cfg = cfg
        self.spec = spec
        self.t = Template(Description=f"{naming.stack_name(cfg, spec.name)}: {spec.description}")
        for i in spec.inputs:
            self.t.add_parameter(
                Parameter(i.parameter, Type=i.type, Description=f"{i.output} output of the {i.stack} stack")
            )
        for p in spec.deploy_parameters:
            self.t.add_parameter(Parameter(p.name, Type=p.type, Default=p.default, Description=p.description))
        self._outputs: dict[str, Output] = {}

    def input(self, name: str) -> Ref:
        """A Ref to input or deploy parameter `name` (fails early on a typo)."""
        if name not in self.spec.parameter_names:
            raise ContractError(
                f"stack {self.spec.name}: {name!r} is not an input; declared: {self.spec.parameter_names}"
            )
        return Ref(name)

    def add(self, resource: AWSObject) -> AWSObject:
        return self.t.add_resource(resource)

    def output(self, name: str, value: object, description: str) -> None:
        if name not in self.spec.outputs:
            raise ContractError(f"stack {self.spec.name}: output {name!r} is not declared in SPEC.outputs")
        self._outputs[name] = self.t.add_output(Output(name, Value=value, Description=description))

    def template(self) -> Template:
        missing = [o for o in self.spec.outputs if o not in self._outputs]
        if missing:
            raise ContractError(f"stack {self.spec.name}: declared outputs never set: {', '.join(missing)}")
        return self.t
