"""`shenpi ukey …`: play a UKey's local signer where a centre has no hardware yet (tests, trials).

    shenpi ukey new-key --out var/ukey-zhangsan.pem      # prints the public key to register
    shenpi ukey sign --key var/ukey-zhangsan.pem CHALLENGE  # prints the signature to paste

The key pair is ECDSA P-256 (see shenpi.accounts.ukey). A real UKey keeps its private key inside
and its vendor's signer does the second step. Exit status 0 on success, 1 for input the command
refuses, 2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path

from shenpi.accounts import ukey
from shenpi.commandline import OneLineCommand, OneLineParser, Refused


class Command(OneLineCommand):
    help = "UKey签名程序（模拟）：生成密钥对，或签署登录页的挑战。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{new-key,sign}",
                                        parser_class=OneLineParser)
        new_key = actions.add_parser("new-key", help="生成密钥对：私钥写入文件，打印待登记的公钥")
        new_key.add_argument("--out", required=True, help="私钥文件（PEM），不得已存在")
        sign = actions.add_parser("sign", help="用私钥签署挑战，打印签名")
        sign.add_argument("--key", required=True, help="私钥文件（PEM）")
        sign.add_argument("challenge", help="登录页显示的挑战")

    def handle(self, *args, action, **options):
        super().handle(*args, action=action.replace("-", "_"), **options)

    def _new_key(self, options):
        path = Path(options["out"])
        if path.exists():
            raise Refused(f"文件“{path}”已存在，不会覆盖。")
        private_pem, public_pem = ukey.new_key_pair()
        path.touch(mode=0o600)
        path.write_text(private_pem)
        self.stdout.write(public_pem, ending="")

    def _sign(self, options):
        path = Path(options["key"])
        try:
            private_pem = path.read_text()
            self.stdout.write(ukey.sign_challenge(private_pem, options["challenge"]))
        except FileNotFoundError:
            raise Refused(f"找不到私钥文件“{path}”。") from None
        except (ValueError, TypeError) as error:
            raise Refused(f"“{path}”不是可用的 PEM 私钥。") from error
