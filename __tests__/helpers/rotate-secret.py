"""Plays Secrets Manager's part in one rotation of a secret: RotateSecret (the emulator leaves the
new version staged AWSPENDING without a value, as AWS does before it invokes the function), then
AWS's rotation function (fixtures/aws-rotation-lambdas, unchanged) invoked with each step in turn,
as Secrets Manager invokes it.

Usage: rotate-secret.py SECRET_ARN FUNCTION_ARN
Environment: SECRETS_MANAGER_ENDPOINT (the function's own setting) and boto3's (AWS_*).
"""
import os
import sys
import uuid

import boto3

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "aws-rotation-lambdas"))
import lambda_function  # noqa: E402

secret_arn, function_arn = sys.argv[1], sys.argv[2]
client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
token = str(uuid.uuid4())
client.rotate_secret(SecretId=secret_arn, ClientRequestToken=token, RotationLambdaARN=function_arn, RotationRules={"AutomaticallyAfterDays": 30})
for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
    lambda_function.lambda_handler({"SecretId": secret_arn, "ClientRequestToken": token, "Step": step}, None)
    print(f"rotate-secret: {step} done", flush=True)
