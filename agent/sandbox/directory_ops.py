"""The directory operations of AXIS.md §5.4: list, synchronise, register and delete agencies.

``registerAgency`` registers (or updates) an organ under the *calling* system, so a provincial
centre can add its districts and communes and then receive for them. An organ registered under
another system is refused (``conflict``). ``deleteAgency`` soft-deletes: ``getSynchronizeUnit``
still lists the organ with ``deleted: true`` and a higher ``version``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from agent.sandbox.calls import Call, Handler, Reply
from agent.sandbox.codes import Failure, Refusal, envelope_ok
from agent.sandbox.directory import Organ
from agent.sandbox.registry import OrganSpec

if TYPE_CHECKING:
    from agent.sandbox.service import Sandbox

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _pid(organ: Organ, ids: dict[str, str]) -> str:
    """The parent's 24-hex id: ``pcode`` may already be one, or a parent code."""
    if not organ.pcode or _OBJECT_ID.match(organ.pcode):
        return organ.pcode
    return ids.get(organ.pcode, "")


def _ids_by_code(sandbox: Sandbox) -> dict[str, str]:
    return {code: oid for oid, code in sandbox.directory.id_to_code().items()}


def get_agencies_list(sandbox: Sandbox, call: Call) -> Reply:
    ids = _ids_by_code(sandbox)
    data = [
        {"id": o.id, "code": o.code, "name": o.name, "mail": o.mail, "pid": _pid(o, ids),
         "oldCode": o.old_code}
        for o in sandbox.directory.organs()
    ]
    return Reply(envelope_ok(data=data))


def get_agencies_list_qd20(sandbox: Sandbox, call: Call) -> Reply:
    level = call.params.get("level")
    if level and not level.isdigit():
        raise Refusal(Failure.BAD_PARAMETER, f"level {level!r}")
    data = [
        {"id": o.id, "code": o.qd20_code or o.code, "name": o.name, "mail": o.mail,
         "code102": o.code}
        for o in sandbox.directory.organs()
        if not level or o.level == int(level)
    ]
    return Reply(envelope_ok(data=data))


def get_synchronize_unit(sandbox: Sandbox, call: Call) -> Reply:
    ids = _ids_by_code(sandbox)
    data = [
        {"id": o.id, "code": o.code, "name": o.name, "mail": o.mail, "pid": _pid(o, ids),
         "version": o.version, "centerCode": o.system_id, "deleted": o.deleted,
         "modifyDate": o.modified, "isAgency": True}
        for o in sandbox.directory.organs(include_deleted=True)
    ]
    return Reply(envelope_ok(data=data))


def register_agency(sandbox: Sandbox, call: Call) -> Reply:
    try:
        body = json.loads(call.body or b"{}")
    except ValueError:
        raise Refusal(Failure.BAD_PARAMETER, "the body is not JSON") from None
    if not isinstance(body, dict) or not str(body.get("code") or "").strip():
        raise Refusal(Failure.BAD_PARAMETER, 'the body needs {"code": ..., "name": ...}')
    code = str(body["code"]).strip()
    existing = sandbox.directory.organ(code)
    if existing and not existing.deleted and existing.system_id != call.caller:
        raise Refusal(Failure.CONFLICT, f"{code} ({existing.system_id})")
    def text(key: str) -> str:
        return str(body.get(key) or "")

    spec = OrganSpec(code, call.caller, name=text("name"), pcode=text("pcode"), mail=text("mail"),
                     mobile=text("mobile"), fax=text("fax"))
    organ = sandbox.directory.put_organ(spec)
    return Reply(envelope_ok(data={"id": organ.id, "code": organ.code, "pcode": organ.pcode}))


def delete_agency(sandbox: Sandbox, call: Call) -> Reply:
    code = call.require("AgencyCode")
    organ = sandbox.directory.organ(code)
    if organ is None or organ.deleted:
        raise Refusal(Failure.NOT_FOUND, f"AgencyCode {code}")
    if organ.system_id != call.caller:
        raise Refusal(Failure.CONFLICT, f"{code} ({organ.system_id})")
    sandbox.directory.delete(code)
    return Reply(envelope_ok())


DIRECTORY_OPERATIONS: dict[str, Handler] = {
    "getAgenciesList": get_agencies_list,
    "getAgenciesListQD20": get_agencies_list_qd20,
    "getSynchronizeUnit": get_synchronize_unit,
    "registerAgency": register_agency,
    "deleteAgency": delete_agency,
}
