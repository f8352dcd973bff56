"""The estimator's expected failure: printed as one line by the CLI (exit non-zero, no traceback)."""

from hana_templates.errors import HanaError


class CostError(HanaError):
    """An estimate cannot be made: missing templates, an unpriced resource, a bad assumption, no credentials."""


class CostInputError(CostError):
    """Bad input on the command line (an assumption that is not NAME=NUMBER): exit 2, like every bad input."""

    exit_code = 2
