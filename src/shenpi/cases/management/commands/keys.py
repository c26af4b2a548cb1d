"""`shenpi keys …`: the field key ring (docs/operations.md, "Keys").

    shenpi keys status                 the key ids, and how many values and files each one holds
    shenpi keys rotate [--batch 500]   a new current key, then re-encrypt everything under it
    shenpi keys rotate --resume        re-encrypt what is still under an older key (after an interruption)
    shenpi keys retire                 drop the previous keys, once nothing is left under them
    shenpi keys add                    a new key for decryption only (servers with copies of the file)
    shenpi keys promote KEY_ID         make that key the current one

Exit status 0, 1 when refused (one Chinese line on stderr), 2 for a usage error.
"""

from __future__ import annotations

from shenpi import crypto
from shenpi.cases import rekey
from shenpi.commandline import USAGE_ERROR, OneLineCommand, OneLineParser, Refused


def _counts(counter) -> str:
    return "，".join(f"{kind} {n}" for kind, n in sorted(counter.items())) or "无"


class Command(OneLineCommand):
    help = "字段密钥：查看、轮换（重新加密全部加密字段和已存文件）、退役旧密钥。"
    refusals = (crypto.KeyError_,)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{status,rotate,retire,add,promote}",
                                        parser_class=OneLineParser)
        actions.add_parser("status", help="列出密钥，统计各密钥下的加密字段值和文件数")
        rotate = actions.add_parser("rotate", help="生成新密钥并把全部加密字段和文件重新加密")
        rotate.add_argument("--resume", action="store_true", help="不生成新密钥，只继续重新加密（中断后再次运行）")
        rotate.add_argument("--batch", type=int, default=rekey.BATCH, help=f"每批行数（默认{rekey.BATCH}）")
        actions.add_parser("retire", help="确认已无数据使用旧密钥后，从密钥文件中删除旧密钥")
        actions.add_parser("add", help="添加一个仅用于解密的新密钥（多台服务器各有密钥文件副本时先分发）")
        promote = actions.add_parser("promote", help="将密钥文件中的某个密钥设为当前密钥")
        promote.add_argument("key_id", help="密钥编号（status 所列）")

    def _status(self, options):
        keys = crypto.ring(reload=True)
        previous = "、".join(crypto.key_id(k) for k in keys.previous) or "无"
        self.stdout.write(f"当前密钥 {keys.current_id}；旧密钥 {previous}；旧格式(legacy)密钥 "
                          f"{'有' if keys.legacy else '无'}")
        tally = rekey.scan(rewrite=False)
        self.stdout.write(f"加密字段：{_counts(tally.values)}")
        self.stdout.write(f"文件：{_counts(tally.files)}")

    def _rotate(self, options):
        if options["batch"] < 1:
            raise Refused(f"--batch 应为正整数，当前为 {options['batch']}。", USAGE_ERROR)
        if not options["resume"]:
            self.stdout.write(f"新密钥 {rekey.add_key()} 已写入密钥文件并成为当前密钥。")
        tally = rekey.scan(rewrite=True, batch=options["batch"])
        self.stdout.write(f"已重新加密字段值 {tally.rewritten_values} 个、文件 {tally.rewritten_files} 个"
                          f"（当前密钥 {crypto.ring().current_id}）。")
        left = rekey.scan(rewrite=False).outdated()
        if left:
            raise Refused(f"仍有 {left} 个值或文件不在当前密钥下（运行期间有其他进程写入），"
                          "请再次运行 shenpi keys rotate --resume。")
        self.stdout.write("全部数据已在当前密钥下；确认备份后可运行 shenpi keys retire 删除旧密钥。")

    def _retire(self, options):
        left = rekey.scan(rewrite=False).outdated()
        if left:
            raise Refused(f"仍有 {left} 个值或文件使用旧密钥或旧格式，请先运行 shenpi keys rotate --resume。")
        dropped = rekey.retire()
        self.stdout.write(f"已从密钥文件删除旧密钥：{'、'.join(dropped) or '无'}。")

    def _add(self, options):
        identifier = rekey.add_key(current=False)
        self.stdout.write(f"新密钥 {identifier} 已加入密钥文件（仅用于解密）。将密钥文件分发到每台服务器后，"
                          f"运行 shenpi keys promote {identifier}。")

    def _promote(self, options):
        rekey.promote(options["key_id"])
        self.stdout.write(f"密钥 {options['key_id']} 已成为当前密钥。分发密钥文件后运行 shenpi keys rotate --resume。")
