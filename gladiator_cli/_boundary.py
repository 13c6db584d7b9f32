"""The CLI's one error boundary: every failure a user can cause or fix becomes one line on stderr.

The line says what failed, which service, file or option, and what to do next; the exit code is
non-zero and no traceback is shown. ``--debug`` (or ``GLADIATOR_DEBUG=1``) adds the traceback.
Anything not recognised here is a bug: it shows a short traceback and asks for a report (exit 70),
so it is never silent.

Recognised: GladiatorError (the project's typed errors), click usage errors (bad or missing
argument), unreachable or refusing services (AWS endpoint, Kafka, MariaDB, PostgreSQL), missing
or rejected AWS credentials, absent resources and tables, missing files. Third-party exception
types are matched only when their module is already imported (an exception of a type from a
module nobody imported cannot exist), so the boundary costs ``gladiator --help`` nothing.

A command that fails mid-way attaches what it had done and how to resume as an exception note
(``failure_note``); the boundary appends the notes to the line.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from gladiator import constants as env
from gladiator.config import load_settings
from gladiator.errors import GladiatorError

EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130
TRACEBACK_FRAMES = 4  # innermost frames shown for a bug (all of them with --debug)
LOCAL_UP = "Start the local stack with `gladiator local up`"

Rule = Callable[[BaseException], str | None]


@contextmanager
def failure_note(note: str, *, unless: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Attach ``note`` (what was done so far, how to resume) to any exception leaving the block,
    except those of the ``unless`` types (errors that already say how to resume)."""
    try:
        yield
    except Exception as exc:
        if not isinstance(exc, unless):
            exc.add_note(note)
        raise


def _loaded(module: str, name: str) -> type[BaseException] | None:
    """Exception class ``module.name`` if that module is already imported, else None."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(exc: BaseException, module: str, *names: str) -> bool:
    types = tuple(t for n in names if (t := _loaded(module, n)) is not None)
    return bool(types) and isinstance(exc, types)


def _first_line(text: object) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _profile() -> str:
    try:
        return load_settings().profile
    except GladiatorError:
        return "?"


def _settings_value(attribute: str) -> str:
    try:
        return str(getattr(load_settings(), attribute))
    except GladiatorError:
        return "?"


def _aws_next_step() -> str:
    if _profile() == "local":
        return f"{LOCAL_UP}, or fix {env.AWS_ENDPOINT_URL}"
    return f"check {env.AWS_REGION}, {env.AWS_ENDPOINT_URL} and the network, or use {env.PROFILE}=local"


# --- rules: one per kind of failure; each returns the line or None ---------------------------
def _gladiator_error(exc: BaseException) -> str | None:
    if not isinstance(exc, GladiatorError):
        return None
    return str(exc).strip() or type(exc).__name__


def _aws_unreachable(exc: BaseException) -> str | None:
    if not _is(exc, "botocore.exceptions", "EndpointConnectionError", "ConnectTimeoutError"):
        return None
    url = getattr(exc, "kwargs", {}).get("endpoint_url") or _settings_value("aws_endpoint")
    what = "moto_server (AWS APIs)" if _profile() == "local" else "the AWS endpoint"
    return f"cannot reach {what} at {url}. {_aws_next_step()}."


_CREDENTIAL_CODES = {
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException",
}  # fmt: skip
_MISSING_CODES = {
    "ResourceNotFoundException", "NoSuchBucket", "QueueDoesNotExist", "StateMachineDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue", "EntityNotFoundException", "ParameterNotFound",
}  # fmt: skip


def _aws_credentials(exc: BaseException) -> str | None:
    missing = _is(exc, "botocore.exceptions", "NoCredentialsError", "PartialCredentialsError")
    code = _client_error_code(exc)
    if not missing and code not in _CREDENTIAL_CODES:
        return None
    cause = "no AWS credentials were found" if missing else f"AWS refused the credentials ({code})"
    return (
        f"{cause} for profile {_profile()!r}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
        f"(e.g. `aws configure`), or use the local emulation with {env.PROFILE}=local."
    )


def _client_error_code(exc: BaseException) -> str | None:
    if not _is(exc, "botocore.exceptions", "ClientError"):
        return None
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _aws_missing_resource(exc: BaseException) -> str | None:
    code = _client_error_code(exc)
    if code not in _MISSING_CODES:
        return None
    error = getattr(exc, "response", {}).get("Error", {})
    name = error.get("BucketName") or error.get("QueueUrl") or ""
    what = f"{name}: " if name else ""
    fix = (
        "`gladiator local up` provisions every bucket, table and queue (moto forgets them on restart)"
        if _profile() == "local"
        else "deploy the stack (`cdk deploy`) or fix GLADIATOR_PREFIX"
    )
    operation = getattr(exc, "operation_name", "request")
    return f"an AWS resource is missing ({operation}: {what}{error.get('Message') or code}); {fix}."


def _kafka(exc: BaseException) -> str | None:
    if not _is(exc, "confluent_kafka", "KafkaException"):
        return None
    return (
        f"Kafka at {_settings_value('kafka_bootstrap')} failed ({_first_line(exc)}). "
        f"{LOCAL_UP}, or fix {env.KAFKA_BOOTSTRAP}."
    )


def _mysql(exc: BaseException) -> str | None:
    if _is(exc, "pymysql.err", "ProgrammingError") and getattr(exc, "args", (None,))[0] in (1146, 1049):
        return f"MySQL: {exc.args[-1]}. Create and load the OLTP schema with `gladiator mysql seed`."
    if not _is(exc, "pymysql.err", "OperationalError"):
        return None
    return (
        f"MySQL (MariaDB) failed ({exc.args[-1] if exc.args else exc}). {LOCAL_UP}, or fix {env.MYSQL_URL}."
    )


def _postgres(exc: BaseException) -> str | None:
    if _is(exc, "psycopg.errors", "UndefinedTable", "InvalidSchemaName"):
        return f"warehouse: {_first_line(exc)}. Load the gold tables with `gladiator warehouse load`."
    if not _is(exc, "psycopg", "OperationalError"):
        return None
    return f"warehouse PostgreSQL failed ({_first_line(exc)}). {LOCAL_UP}, or fix {env.WAREHOUSE_URL}."


def _spark_missing_table(exc: BaseException) -> str | None:
    if not _is(exc, "pyspark.errors", "AnalysisException"):
        return None
    text = _first_line(exc)
    if not any(k in text for k in ("PATH_NOT_FOUND", "TABLE_OR_VIEW_NOT_FOUND", "not a Delta table")):
        return None
    return f"a lake table is missing ({text}). Run the pipeline first: `gladiator pipeline run`."


def _files(exc: BaseException) -> str | None:
    if isinstance(exc, FileNotFoundError | NotADirectoryError | IsADirectoryError | PermissionError):
        where = exc.filename or _first_line(exc)
        return f"{where}: {exc.strerror or type(exc).__name__}. Check the path and run again."
    return None


def _refused(exc: BaseException) -> str | None:
    if isinstance(exc, ConnectionError):
        return f"a connection failed ({_first_line(exc) or type(exc).__name__}). {LOCAL_UP}, then retry."
    return None


RULES: tuple[Rule, ...] = (
    _gladiator_error, _aws_unreachable, _aws_credentials, _aws_missing_resource, _kafka, _mysql,
    _postgres, _spark_missing_table, _files, _refused,
)  # fmt: skip


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes (``raise ... from``, or the exception being handled when it was
    raised, unless ``from None`` hid it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def explain(exc: BaseException) -> str | None:
    """One line for a failure the user can cause or fix (with its notes); None for a bug."""
    for cause in _chain(exc):
        for rule in RULES:
            if line := rule(cause):
                notes = " ".join(getattr(exc, "__notes__", ()))
                return " ".join(f"{line} {notes}".split())
    return None


def _usage_line(exc: click.UsageError) -> str:
    where = exc.ctx.command_path if exc.ctx else "gladiator"
    return " ".join(f"error: {exc.format_message()} (see `{where} --help`)".split())


def report(exc: BaseException, args: Sequence[str], *, debug: bool) -> int:
    """Print ``exc`` the way the boundary promises and return the exit code."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        exc.show()
        return exc.exit_code
    if isinstance(exc, click.UsageError):
        click.secho(_usage_line(exc), fg="red", err=True)
        return EXIT_USAGE
    if isinstance(exc, click.Abort | KeyboardInterrupt):
        click.echo("aborted", err=True)
        return EXIT_INTERRUPTED
    if isinstance(exc, click.ClickException):
        click.secho(" ".join(f"error: {exc.format_message()}".split()), fg="red", err=True)
        return exc.exit_code
    line = explain(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if line is not None:
        click.secho(f"error: {line}", fg="red", err=True)
        return EXIT_USER_ERROR
    if not debug:
        short = traceback.format_exception(exc, limit=-TRACEBACK_FRAMES)
        click.echo("".join(short).rstrip(), err=True)
    command = " ".join(args)
    click.secho(
        f"error: unexpected {type(exc).__name__}: {_first_line(exc)}. This is a bug in gladiator: please "
        f"report it with the output of `gladiator --debug {command}`.",
        fg="red",
        err=True,
    )
    return EXIT_BUG


class GladiatorGroup(click.Group):
    """The root group: runs click without its own error handling and reports through ``report``.

    Its ``--debug`` option (click reads GLADIATOR_DEBUG for it) is remembered when the command
    starts, so the report of a failure knows whether to show the traceback.
    """

    debug = False

    def invoke(self, ctx: click.Context) -> Any:
        self.debug = bool(ctx.params.get("debug"))
        return super().invoke(ctx)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # the caller handles errors itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        self.debug = False
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except SystemExit:
            raise
        except BaseException as exc:
            sys.exit(report(exc, argv, debug=self.debug))
        sys.exit(code if isinstance(code, int) else 0)
