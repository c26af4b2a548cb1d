"""Commands that refuse in one line: a Chinese message on stderr and a non-zero exit status.

`shenpi <command> <action> …` subclasses OneLineCommand and writes one `_<action>(options)`
method per action; anything it cannot work with raises Refused. On the console the message is
the one line the user sees; called from code (call_command), it is a CommandError.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

INPUT_ERROR = 1
USAGE_ERROR = 2


class Refused(Exception):
    """Input the command cannot work with; the message is the one line the user sees."""

    def __init__(self, message: str, returncode: int = INPUT_ERROR):
        super().__init__(message)
        self.returncode = returncode


class OneLineParser(CommandParser):
    """Argument mistakes on the console as one line, like every other refusal."""

    usage_error = USAGE_ERROR

    def error(self, message):
        if self.called_from_command_line:
            sys.stderr.write(f"参数有误（{self.prog}）：{message}。用法见 {self.prog} -h\n")
            sys.exit(self.usage_error)
        super().error(message)


class OneLineCommand(BaseCommand):
    # Other exceptions an action may raise whose message is fit for the user (exit INPUT_ERROR).
    refusals: tuple[type[Exception], ...] = ()
    _on_console = False

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds the top parser itself; only its error() differs, so the class is swapped.
        parser.__class__ = OneLineParser
        return parser

    def run_from_argv(self, argv):
        self._on_console = True
        super().run_from_argv(argv)

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(options)
        except (Refused, *self.refusals) as error:
            code = getattr(error, "returncode", INPUT_ERROR)
            if self._on_console:
                self.stderr.write(str(error))
                sys.exit(code)
            raise CommandError(str(error), returncode=code) from error
