"""`shenpi sandboxes serve [--address HOST:PORT]`: serve every sandbox until stopped (docs/sandboxes.md)."""

from __future__ import annotations

from shenpi.commandline import OneLineCommand, OneLineParser, Refused
from shenpi.sandboxes.server import SandboxServer, load


class Command(OneLineCommand):
    help = "外部系统沙箱：在本机启动身份核验等外部系统的模拟服务（测试与演示用）。"
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{serve}",
                                        parser_class=OneLineParser)
        serve = actions.add_parser("serve", help="启动全部沙箱，直到按 Ctrl-C")
        serve.add_argument("--address", default="127.0.0.1:8100", metavar="HOST:PORT",
                           help="监听地址（默认 127.0.0.1:8100）")

    def _serve(self, options):
        host, _, port = options["address"].rpartition(":")
        if not host or not port.isdigit():
            raise Refused(f"监听地址应为 主机:端口，例如 127.0.0.1:8100，而不是 {options['address']}。")
        try:
            server = SandboxServer((host, int(port)), load())
        except OSError as error:
            raise Refused(f"无法在 {options['address']} 启动沙箱：{error.strerror or error}。") from None
        names = ", ".join(f"{server.url(name)}" for name in server.sandboxes) or "（无）"
        self.stdout.write(f"沙箱已启动：{names}")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
