"""A click group that resolves its commands the way bpftool does."""

import importlib

import click

from bpfinspect.errors import UsageError


class BpftoolGroup(click.Group):
    """Commands are kept in bpftool's table order; a word selects the first command it is a
    prefix of (`p` is `prog`, `s` is `show`); with no word the first command runs."""

    def __init__(self, *args, usage_lines=(), **kwargs):
        kwargs.setdefault("invoke_without_command", True)
        kwargs.setdefault("context_settings", {"help_option_names": []})
        super().__init__(*args, **kwargs)
        self.usage_lines = usage_lines

    def list_commands(self, ctx):
        return list(self.commands)

    def get_command(self, ctx, cmd_name):
        for name, command in self.commands.items():
            if name.startswith(cmd_name):
                if isinstance(command, Lazy):
                    command = self.commands[name] = command.load()
                return command
        return None

    def add_lazy(self, name, module, attr):
        """A command imported from `module` when first chosen: a command pays only for its
        own object's code at start-up."""
        self.commands[name] = Lazy(module, attr)

    def loaded_commands(self):
        """Every command, imported (for the docs and completion)."""
        for name in list(self.commands):
            if isinstance(self.commands[name], Lazy):
                self.commands[name] = self.commands[name].load()
        return self.commands

    def resolve_command(self, ctx, args):
        command = self.get_command(ctx, args[0])
        if command is None:
            raise UsageError("unknown command '%s' for '%s' (see '%s help')"
                             % (args[0], ctx.command_path, ctx.command_path))
        return command.name, command, args[1:]

    def run_default(self, ctx):
        """Called by a group's callback: with no command word, run the first command."""
        if ctx.invoked_subcommand is None:
            ctx.invoke(self.commands[next(iter(self.commands))])

    def format_usage(self, ctx, formatter):
        formatter.write("".join(self.usage_lines))


class Lazy:
    """A place in the command table whose command is imported when first chosen."""

    def __init__(self, module, attr):
        self.module = module
        self.attr = attr

    def load(self):
        return getattr(importlib.import_module(self.module), self.attr)
