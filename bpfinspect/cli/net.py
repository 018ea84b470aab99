"""`net`: programs attached to network devices, the netns' flow dissector and netfilter."""

import click

from bpfinspect.cli import common, selectors
from bpfinspect.cli.group import BpftoolGroup
from bpfinspect.errors import UsageError

USAGE = (
    "Usage: bpfinspect net { show | list } [dev <devname>]\n",
    "       bpfinspect net help\n",
    "\n",
    "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
    "\n",
    "Note: Only xdp, tcx, tc, netkit, flow_dissector and netfilter attachments\n",
    "      are currently supported.\n",
    "      For progs attached to cgroups, use \"bpfinspect cgroup\"\n",
    "      to dump program attachments. For program types\n",
    "      sk_{filter,skb,msg,reuseport} and lwt/seg6, please\n",
    "      consult iproute2.\n",
)

# bpftool's net table; attach and detach change the kernel: they keep their prefix place
ORDER = ("show", "list", "attach", "detach", "help")


@click.group("net", cls=BpftoolGroup, usage_lines=USAGE,
             help="Programs on network hooks: XDP, tcx, netkit, tc cls_bpf filters with "
                  "their actions, the flow dissector, netfilter.")
@click.pass_context
def net(ctx):
    ctx.command.run_default(ctx)


def _show(words):
    from bpfinspect.api import net as api_net

    words = list(words)
    dev = None
    if len(words) == 2:
        if not selectors.is_prefix(words[0], "dev"):
            raise UsageError("expected 'dev', got: '%s'?" % words[0])
        dev = words[1]
    elif words:
        raise common.ShowUsage(USAGE)
    common.run().output.document("net", api_net.show(dev))


for _name, _text in (("show", "XDP (generic, driver, offload), tcx and netkit programs, "
                              "tc cls_bpf filters with their actions, the network namespace's "
                              "flow dissector, netfilter links; `dev NAME` limits xdp and tc "
                              "to one device."),
                     ("list", "Same as show.")):
    net.command(_name, context_settings=common.COMMAND_SETTINGS, help=_text)(
        click.argument("words", metavar="[dev NAME]", **common.WORDS)(_show))

common.add_help_command(net, USAGE)


common.order_commands(net, ORDER)
