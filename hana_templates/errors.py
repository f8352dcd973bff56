"""The one error type the generator raises for expected failures (bad config, broken contract,
oversized template). `generate.py` prints it as one line and exits non-zero."""


class HanaError(Exception):
    """An expected failure: the message is one line that says what was wrong and what is allowed."""


class ConfigError(HanaError):
    """An environment config value is invalid."""


class ContractError(HanaError):
    """The stack contracts do not fit together (unknown producer or output, cycle, mismatch)."""


class TemplateLimitError(HanaError):
    """A template exceeds a CloudFormation limit."""
