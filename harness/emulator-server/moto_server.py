"""moto's server (the pinned moto of requirements-dev.txt) with seven corrections, each where moto
5.2.5 departs from AWS in a way our stacks meet, and Elastic Beanstalk replaced by a stand-in
(beanstalk.py: moto keeps Beanstalk as bare records). Everything else is moto's own behaviour.

1. Policy conditions. moto 5.2.5 evaluates only StringEquals conditions and takes any other condition operator as
matching (moto/iam/policy_conditions.py, TrustCondition.verify_condition). So the TLS-only
statement of our bucket policies, "Deny s3:* when Bool aws:SecureTransport is false", applied to
every request, even over HTTPS, and the emulator refused every object put into a bucket of ours.
The correction evaluates that one key: every request reaches this server over TLS, so
aws:SecureTransport is "true" and a statement requiring "false" does not apply, as in AWS.

2. Re-creating a record set. moto refuses a CREATE that repeats one in the zone's change journal
when get_record_sets(type, name) finds anything, but that call lists every record from that name
on, in listing order, not the one record (moto/route53/models.py, change_resource_record_sets).
After a destroy, re-creating our alias record failed with "already exists" because the
certificate's validation record sorts after it. The correction lets that check see only the exact
name and type, as Route 53 does.

3. Deleting a CodeBuild project by ARN. DeleteProject takes a name or an ARN (the provider sends
the ARN, its resource id), but moto looks the value up as a name only and silently keeps the
project (moto/codebuild/models.py, delete_project); re-creating the stack after a destroy then
failed with "Project already exists". The correction takes the name out of an ARN first.

4. Rotation by a function moto does not run. AWS's RotateSecret creates the new version, staged
AWSPENDING and without a value, and invokes the rotation function asynchronously; the function
fills the version in and moves AWSCURRENT (AWS's RotateSecret reference, "How rotation works").
moto either runs the function in its own Lambda (which needs Docker, and knows only functions
created in it) or, without one, makes the empty version AWSCURRENT at once. The correction, for a
RotationLambdaARN moto's Lambda does not hold, does what AWS does before the invocation and leaves
the invocation to the caller: the harness invokes AWS's own rotation code (fixtures) step by step.
It also applies AWS's rule for a rotation in progress: AWSPENDING on the AWSCURRENT version (where a
successful rotation may leave it) does not block the next one, AWSPENDING on another version does;
moto has the two the other way round.

5. AWSCURRENT moved by UpdateSecretVersionStage. AWS's GetSecretValue without a version answers
the AWSCURRENT version (GetSecretValue reference: "Secrets Manager defaults to AWSCURRENT"); moto
answers the version it last made current itself, so after a rotation function moves AWSCURRENT
(its finishSecret step), readers kept getting the old credentials (moto/secretsmanager/models.py,
update_secret_version_stage leaves default_version_id). The correction points it at the version
that now holds AWSCURRENT.

6. CloudWatch's JSON protocol. CloudWatch answers AWS JSON 1.0 (X-Amz-Target
GraniteServiceVersion20100801.<Operation>) as well as the Query protocol; the AWS SDK for
JavaScript v3 speaks JSON 1.0 to it (@aws-sdk/client-cloudwatch: AwsJson1_0Protocol, query-
compatible errors), and so does the status-page function on Lambda's bundled SDK. moto reads a
request's protocol from botocore's service model, and the botocore our AWS CLI pins (1.35.x) lists
only "query" for CloudWatch, so moto answered every JSON request with a 500 page. The correction
adds JSON 1.0 to CloudWatch's model, with the target prefix and version AWS's model has; moto's
own JSON parser and serializer then handle it.

7. An event's time in an input transformer. An EventBridge event's "time" is an ISO 8601 string
("2026-12-06T03:14:15Z"; EventBridge's event structure reference), and a rule target's input
transformer reads it as such ($.time). moto keeps it as epoch seconds until it delivers a whole
event (moto/events/models.py, put_events and _send_to_sqs_queue), so a transformer wrote
"at 1796526855". The correction gives a target's transformer the event with its time as AWS
writes it.

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

import threading  # noqa: E402

from moto.route53 import models as route53_models  # noqa: E402

_changing = threading.local()
_get_record_sets = route53_models.FakeZone.get_record_sets
_change_resource_record_sets = route53_models.Route53Backend.change_resource_record_sets


def get_record_sets(self, start_type, start_name):
    records = _get_record_sets(self, start_type, start_name)
    if not getattr(_changing, "active", False):
        return records
    wanted = start_name.rstrip(".")
    return [r for r in records if r.name.rstrip(".") == wanted and r.type == start_type]


def change_resource_record_sets(self, *args, **kwargs):
    _changing.active = True
    try:
        return _change_resource_record_sets(self, *args, **kwargs)
    finally:
        _changing.active = False


route53_models.FakeZone.get_record_sets = get_record_sets
route53_models.Route53Backend.change_resource_record_sets = change_resource_record_sets

from moto.codebuild import models as codebuild_models  # noqa: E402

_delete_project = codebuild_models.CodeBuildBackend.delete_project


def delete_project(self, project_name):
    if project_name.startswith("arn:") and ":project/" in project_name:
        project_name = project_name.split(":project/", 1)[1]
    return _delete_project(self, project_name)


codebuild_models.CodeBuildBackend.delete_project = delete_project

import time  # noqa: E402

from moto.secretsmanager import models as secretsmanager_models  # noqa: E402
from moto.secretsmanager.exceptions import InvalidRequestException  # noqa: E402

_rotate_secret = secretsmanager_models.SecretsManagerBackend.rotate_secret


def _function_in_moto(backend, arn):
    from moto.awslambda.utils import get_backend

    try:
        get_backend(backend.account_id, backend.region_name).get_function(arn)
        return True
    except Exception:
        return False


def rotate_secret(self, secret_id, client_request_token=None, rotation_lambda_arn=None, rotation_rules=None, rotate_immediately=True):
    if not self._is_valid_identifier(secret_id):
        return _rotate_secret(self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately)
    secret = self.secrets[secret_id]
    for version in getattr(secret, "versions", {}).values():
        stages = version["version_stages"]
        if "AWSPENDING" in stages:
            if "AWSCURRENT" not in stages:
                raise InvalidRequestException("Previous rotation request is still in progress.")
            stages.remove("AWSPENDING")
    if not rotation_lambda_arn or _function_in_moto(self, rotation_lambda_arn) or not rotate_immediately:
        return _rotate_secret(self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately)
    token = client_request_token or str(__import__("uuid").uuid4())
    if token in secret.versions:
        raise InvalidRequestException(f"You can't use ClientRequestToken {token} because that value is already in use for a version of secret {secret.arn}.")
    secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": ["AWSPENDING"]}
    secret.rotation_lambda_arn = rotation_lambda_arn
    days = (rotation_rules or {}).get("AutomaticallyAfterDays")
    if days:
        secret.auto_rotate_after_days = days
    secret.rotation_enabled = True
    secret.rotation_requested = True
    return secret.to_short_dict(version_id=token)


secretsmanager_models.SecretsManagerBackend.rotate_secret = rotate_secret

_update_secret_version_stage = secretsmanager_models.SecretsManagerBackend.update_secret_version_stage


def update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id):
    result = _update_secret_version_stage(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
    if version_stage == "AWSCURRENT" and move_to_version_id:
        self.secrets[secret_id].default_version_id = move_to_version_id
    return result


secretsmanager_models.SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage

from moto.core import utils as core_utils

_load_service_model = core_utils._load_service_model


def load_service_model(service_name, model_name):
    model = _load_service_model(service_name, model_name)
    if service_name == "cloudwatch" and model_name == "service-2" and "json" not in model["metadata"].get("protocols", []):
        metadata = model["metadata"]
        metadata.update(
            protocols=[*metadata.get("protocols", [metadata["protocol"]]), "json"],
            jsonVersion="1.0",
            targetPrefix="GraniteServiceVersion20100801",
            awsQueryCompatible={},
        )
    return model


core_utils._load_service_model = load_service_model

from moto.core.utils import iso_8601_datetime_without_milliseconds, utcfromtimestamp
from moto.events import models as events_models

_parse_template = events_models.EventTemplateParser.parse


def parse_template(input_template, input_paths_map, event):
    # Only for a target's own transformer: moto's default template and its delivery of a whole
    # event expect the epoch seconds, and turn them into the ISO string themselves.
    if input_template and isinstance(event.get("time"), (int, float)):
        event = {**event, "time": iso_8601_datetime_without_milliseconds(utcfromtimestamp(event["time"]))}
    return _parse_template(input_template, input_paths_map, event)


events_models.EventTemplateParser.parse = staticmethod(parse_template)

import os  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import beanstalk  # noqa: E402

beanstalk.install()

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
