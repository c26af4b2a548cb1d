"""`shenpi licence …`: department signing keys and checking a certificate file (docs/licences.md).

    shenpi licence keys D001 D002 [--force]     generate keys, certificate (centre CA) and seal for departments
    shenpi licence keys --all [--force]         … for every department
    shenpi licence keys --import D001 --sm2-key sm2.pem --pades-key p256.pem --pades-cert cert.pem
                        [--ca-cert ca.pem] [--seal seal.png] [--force]
    shenpi licence verify FILE.pdf              both signatures and the status; exit 1 when any fails

Exit status 0, 1 when refused or the certificate does not verify (one Chinese line on stderr),
2 for a usage error.
"""

from __future__ import annotations

from pathlib import Path

from shenpi.catalog.models import Department
from shenpi.commandline import USAGE_ERROR, OneLineCommand, OneLineParser, Refused
from shenpi.errors import ServiceError

from ... import keys, verify


class Command(OneLineCommand):
    help = "证照签章：生成或导入部门签章密钥（keys），核验证照PDF文件（verify）。"
    refusals = (ServiceError,)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{keys,verify}",
                                        parser_class=OneLineParser)
        generate = actions.add_parser("keys", help="为部门生成（演示）或导入（生产）SM2密钥、PDF签名证书和印章")
        generate.add_argument("departments", nargs="*", metavar="DEPT_CODE", help="部门编码")
        generate.add_argument("--all", action="store_true", help="全部部门")
        generate.add_argument("--force", action="store_true", help="替换已有密钥")
        generate.add_argument("--import", dest="import_", metavar="DEPT_CODE", default="",
                              help="从文件导入该部门的密钥和证书")
        generate.add_argument("--sm2-key", type=Path, help="SM2私钥（PEM, PKCS#8）")
        generate.add_argument("--pades-key", type=Path, help="PDF签名私钥（ECDSA P-256, PEM）")
        generate.add_argument("--pades-cert", type=Path, help="PDF签名证书（PEM）")
        generate.add_argument("--ca-cert", type=Path, help="签发该证书的CA证书（PEM）")
        generate.add_argument("--seal", type=Path, help="印章图片（PNG）")
        check = actions.add_parser("verify", help="核验证照PDF：PDF签章、SM2签名和证照状态")
        check.add_argument("file", type=Path, help="证照PDF文件")

    def _department(self, code: str) -> Department:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise Refused(f"没有编码为 {code} 的部门。")
        return department

    def _keys(self, options):
        if options["import_"]:
            missing = [flag for flag, name in (("--sm2-key", "sm2_key"), ("--pades-key", "pades_key"),
                                               ("--pades-cert", "pades_cert")) if not options[name]]
            if missing:
                raise Refused(f"导入密钥需要 {'、'.join(missing)}。", USAGE_ERROR)
            department = self._department(options["import_"])
            key = keys.import_files(department, sm2_key=options["sm2_key"], pades_key=options["pades_key"],
                                    pades_cert=options["pades_cert"], ca_cert=options["ca_cert"],
                                    seal=options["seal"], force=options["force"])
            self.stdout.write(f"已导入 {department.name}（{department.code}）的签章密钥：{key.key_reference}")
            return
        if options["all"] == bool(options["departments"]):
            raise Refused("请给出部门编码，或用 --all 表示全部部门（二者选一）。", USAGE_ERROR)
        departments = list(Department.objects.order_by("code")) if options["all"] \
            else [self._department(code) for code in options["departments"]]
        for department in departments:
            if options["all"] and not options["force"] and keys.active_key(department) is not None:
                self.stdout.write(f"{department.name}（{department.code}）已有签章密钥，跳过。")
                continue
            key = keys.generate(department, force=options["force"])
            self.stdout.write(f"已生成 {department.name}（{department.code}）的签章密钥，私钥在 "
                              f"{keys.key_dir() / department.code}（{key.key_reference}）")

    def _verify(self, options):
        path: Path = options["file"]
        try:
            pdf = path.read_bytes()
        except OSError as error:
            raise Refused(f"无法读取 {path}：{error.strerror}") from None
        outcome = verify.check_pdf(pdf)
        licence = outcome.licence
        if licence is not None:
            self.stdout.write(f"证照：{licence.title} {licence.serial}（{licence.identifier}）")
            self.stdout.write(f"持证主体：{licence.holder_name} {licence.holder_id_masked}；发证部门："
                              f"{licence.department.name}")
            self.stdout.write(f"状态：{licence.get_status_display()}")
        self.stdout.write(f"PDF签章：{'验证通过' if outcome.pades else '未通过'}")
        self.stdout.write(f"SM2签名：{'验证通过' if outcome.sm2 else '未通过'}")
        if not outcome.ok:
            raise Refused(f"证照核验未通过：{outcome.summary}")
        self.stdout.write("证照核验通过。")
