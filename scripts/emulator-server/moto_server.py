"""moto's server (the pinned moto of requirements-dev.txt) with two corrections, each where moto
5.2.5 departs from AWS in a way our stacks meet. Everything else is moto's own behaviour.

1. Policy conditions. moto 5.2.5 evaluates only StringEquals conditions and takes any other condition operator as
matching (moto/iam/policy_conditions.py, TrustCondition.verify_condition). So the TLS-only
statement of our bucket policies, "Deny s3:* when Bool aws:SecureTransport is false", applied to
every request, even over HTTPS, and the emulator refused every object put into a bucket of ours.
The correction evaluates that one key: every request reaches this server over TLS, so
aws:SecureTransport is "true" and a statement requiring "false" does not apply, as in AWS.

2. Deleting a record set. moto stores record names with a trailing dot and, on DELETE, compares
the name as sent, without one (moto/route53/models.py, FakeZone.delete_rrset): the provider sends
"app.example.com", nothing matches, nothing is deleted and no error is raised, so the record
outlived `terraform destroy` and blocked the next apply. Route 53 treats both spellings as one
name; so does the correction.

Usage: python moto_server.py [moto_server's own arguments]
"""
import sys

from moto.iam import access_control
from moto.iam.access_control import PermissionResult

# What AWS would put in the request context for every request this server answers.
REQUEST_CONTEXT = {"aws:securetransport": "true"}

_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted


def _condition_excludes_request(statement):
    """True when a Bool condition on a key of REQUEST_CONTEXT does not hold for these requests."""
    for operator, pairs in (statement.get("Condition") or {}).items():
        if operator != "Bool":
            continue
        for key, expected in pairs.items():
            actual = REQUEST_CONTEXT.get(key.lower())
            values = expected if isinstance(expected, list) else [expected]
            if actual is not None and actual not in [str(v).lower() for v in values]:
                return True
    return False


def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    if _condition_excludes_request(self._statement):
        return PermissionResult.NEUTRAL
    return _is_action_permitted(self, action, resource, principal, incoming_condition_values)


access_control.IAMPolicyStatement.is_action_permitted = is_action_permitted

from moto.route53 import models as route53_models  # noqa: E402

_delete_rrset = route53_models.FakeZone.delete_rrset


def delete_rrset(self, rrset):
    name = rrset["Name"]
    other = name[:-1] if name.endswith(".") else f"{name}."
    _delete_rrset(self, rrset)
    _delete_rrset(self, {**rrset, "Name": other})


route53_models.FakeZone.delete_rrset = delete_rrset

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
