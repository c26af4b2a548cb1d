"""`shenpi token …`: API tokens (接口令牌) for department systems; docs/api.md, "令牌".

    shenpi token create USERNAME --name 住建局业务系统 [--department ZJJ …] [--item CODE …] [--act] [--days 90]
    shenpi token list [--user USERNAME] [--all]
    shenpi token revoke PREFIX_OR_KEY

The key is printed once, by create, and never again: only its digest is kept. Exit status 0, 1
for input refused (one Chinese line on stderr), 2 for a usage error.
"""

from __future__ import annotations

from django.utils import timezone

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.api import tokens
from shenpi.api.models import ApiToken
from shenpi.catalog.models import Department, Item
from shenpi.commandline import OneLineCommand, OneLineParser, Refused
from shenpi.errors import InvalidInput


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


class Command(OneLineCommand):
    help = "接口令牌：创建（密钥只显示一次）、列出、撤销。"
    refusals = (InvalidInput,)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}",
                                        parser_class=OneLineParser)
        create = actions.add_parser("create", help="为工作人员创建令牌，密钥只显示这一次")
        create.add_argument("username", help="持有人的用户名（不能是超级用户）")
        create.add_argument("--name", required=True, help="用途：调用方系统或脚本的名称")
        create.add_argument("--department", action="append", default=[], metavar="CODE",
                            help="可访问的部门编码，可重复；不指定则为持有人本部门")
        create.add_argument("--item", action="append", default=[], metavar="CODE",
                            help="可访问的事项编码，可重复；不指定则为范围内部门的全部事项")
        create.add_argument("--act", action="store_true", help="允许办理（收件、受理、审核等）；不指定则只能查询")
        create.add_argument("--days", type=int, default=None, help="有效天数（默认见 SHENPI_API_TOKEN_DAYS）")
        listing = actions.add_parser("list", help="列出令牌（前缀、持有人、范围、失效与最近使用时间）")
        listing.add_argument("--user", default="", help="只列此用户名的令牌")
        listing.add_argument("--all", action="store_true", help="也列出已撤销和已过期的令牌")
        revoke = actions.add_parser("revoke", help="撤销令牌，立即生效")
        revoke.add_argument("token", help="令牌前缀（list 中所示）或完整密钥")

    def _create(self, options):
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise Refused(f"用户“{options['username']}”不存在。")
        token, key = tokens.create(user, name=options["name"], departments=options["department"],
                                   items=options["item"], act=options["act"], days=options["days"])
        self.stdout.write(f"令牌 {token.prefix}（{user.username}，{self._scope(token)}，"
                          f"有效至 {_when(token.expires_at)}）已创建。密钥只显示这一次，请妥善保存：")
        self.stdout.write(key)

    def _list(self, options):
        found = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
        if options["user"]:
            found = found.filter(user__username=options["user"])
        if not options["all"]:
            found = found.filter(revoked_at__isnull=True, expires_at__gt=clock.now())
        for token in found:
            state = "已撤销" if token.revoked_at else ("已过期" if token.expires_at <= clock.now() else "有效")
            self.stdout.write(f"{token.prefix}\t{token.user.username}\t{token.name}\t{self._scope(token)}\t{state}"
                              f"\t失效 {_when(token.expires_at)}\t最近使用 {_when(token.last_used_at)}")

    def _revoke(self, options):
        token = tokens.find(options["token"])
        if token is None:
            raise Refused(f"没有前缀或密钥为“{options['token']}”的令牌。")
        if not tokens.revoke(token):
            raise Refused(f"令牌 {token.prefix} 已于 {_when(token.revoked_at)} 撤销。")
        self.stdout.write(f"令牌 {token.prefix}（{token.user.username}）已撤销。")

    @staticmethod
    def _scope(token: ApiToken) -> str:
        departments = "、".join(Department.objects.filter(pk__in=token.department_ids).order_by("code")
                               .values_list("code", flat=True)) or "本部门"
        items = "、".join(Item.objects.filter(pk__in=token.item_ids).order_by("code")
                         .values_list("code", flat=True)) or "全部事项"
        return f"{departments}/{items}/{'查询+办理' if token.can_act else '只读'}"
