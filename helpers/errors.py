"""The errors a user can fix. Every layer may raise them; the commands print their message on one
line and exit with status 2 (:func:`helpers.cli.run_cli`), and programming errors keep their
traceback. This module imports nothing, so any module can import it without a cycle."""


class UserError(Exception):
    """A mistake the user can fix: a missing file, a bad argument, a checkpoint of the wrong kind."""


class DataError(UserError, ValueError):
    """Data that cannot be read; the message names the file and, where there is one, the line."""


class DataNotFoundError(UserError, FileNotFoundError):
    """The data file or folder does not exist; the message says where to get it and put it."""


class UnknownExpressionError(UserError, ValueError):
    """A name that is not one of the 7 expressions or their aliases."""
