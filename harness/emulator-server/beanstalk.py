"""Elastic Beanstalk for the emulator, as strict as AWS where our stacks meet it.

moto 5.2.5 keeps Beanstalk applications and environments as bare records: no application versions
(CreateApplicationVersion is not implemented), no UpdateApplicationResourceLifecycle, no events,
no option settings, no environment resources, no termination (moto/elasticbeanstalk/responses.py).
The provider needs all of them to create, read, update and destroy an application, a version and
an environment, so this module replaces moto's Beanstalk responses. It holds the contract AWS
documents, and refuses what AWS refuses, with AWS's error codes and messages:

- CreateApplication: a name already taken is InvalidParameterValue ("Application X already
  exists."); ApplicationResourceLifecycleConfig's ServiceRole must be the ARN of an existing role
  ("ServiceRole is not a valid arn"; API reference, UpdateApplicationResourceLifecycle).
- CreateApplicationVersion: the application must exist ("No Application named 'X' found."), the
  label must be new, and the source bundle must be an object in S3: Beanstalk downloads it at once
  and answers InvalidParameterCombination "Unable to download from S3 location (Bucket: B  Key: K).
  Reason: Not Found" otherwise.
- CreateEnvironment and UpdateEnvironment: every option setting must be a documented option of a
  documented namespace (OPTIONS below, from AWS's "General options for all environments"), or AWS
  answers ConfigurationValidationException "Invalid option specification (Namespace: 'N',
  OptionName: 'O'): Unknown configuration setting."; options with a documented set or range of
  values are checked against it; the version label, the solution stack's platform branch and the
  name (4-40 letters, digits and hyphens, unique among live environments) are checked.
- Then, as Beanstalk's CloudFormation stack would, asynchronously: the VPC, subnets, security
  groups, instance profile, service role and certificate named by the settings must exist, and the
  version's bundle must hold what the Docker platform runs (docker-compose.yml, Dockerfile or
  Dockerrun.aws.json at its root) and parse its .ebextensions (YAML, their option_settings held to
  the same table, Fn::GetOptionSetting naming an option that is set). A failure is an ERROR event
  and a grey environment, which the provider reports, as it reports AWS's. A launch creates the
  environment's application load balancer in moto's ELBv2 (in ELBSubnets, with the
  aws:elbv2:loadbalancer security groups, the listeners and the default process's target group,
  health check and deregistration delay, and what .ebextensions override in the template's load
  balancer and listeners: attributes, a listener's default actions), so what the stack attaches to
  it (the WAF, alarms, the alias record) meets a real resource. Instances and the Auto
  Scaling group are not created (instance boot runs in the instance-boot harness).
- Status moves Launching/Updating -> Ready and Terminating -> Terminated after TRANSITION_SECONDS;
  DescribeEnvironments lists terminated environments (IncludeDeleted defaults to true); events come
  newest first and filter by severity and start time, as DescribeEvents documents.
"""
import io
import random
import re
import string
import threading
import time
import zipfile
from datetime import datetime, timezone

import yaml
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.elasticbeanstalk import responses as eb_responses
from moto.elasticbeanstalk.responses import SOLUTION_STACK_DETAILS

TRANSITION_SECONDS = 2.0

BOOL = ("true", "false")
LOG_RETENTION = tuple(str(d) for d in (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653))
PROCESS = {
    "DeregistrationDelay": (0, 3600),
    "HealthCheckInterval": (5, 300),
    "HealthCheckPath": None,
    "HealthCheckTimeout": (1, 60),
    "HealthyThresholdCount": (2, 10),
    "MatcherHTTPCode": None,
    "Port": (1, 65535),
    "Protocol": ("TCP", "HTTP", "HTTPS"),
    "StickinessEnabled": BOOL,
    "StickinessLBCookieDuration": (1, 604800),
    "StickinessType": ("lb_cookie",),
    "UnhealthyThresholdCount": (2, 10),
}
LISTENER = {
    "DefaultProcess": None,
    "ListenerEnabled": BOOL,
    "Protocol": ("HTTP", "HTTPS", "TCP"),
    "Rules": None,
    "SSLCertificateArns": None,
    "SSLPolicy": None,
}
# Namespace -> option -> allowed values (a tuple of strings, an inclusive integer range, or None for
# any value). From AWS's "General options for all environments" (command-options-general); options
# added after that page's 2023 revision carry the year AWS added them.
OPTIONS = {
    "aws:autoscaling:asg": {
        "Availability Zones": ("Any", "Any 1", "Any 2", "Any 3"),
        "Cooldown": (0, 10000),
        "Custom Availability Zones": None,
        "EnableCapacityRebalancing": BOOL,
        "MinSize": (1, 10000),
        "MaxSize": (1, 10000),
    },
    "aws:autoscaling:launchconfiguration": {
        "BlockDeviceMappings": None,
        "DisableDefaultEC2SecurityGroup": BOOL,  # 2025
        "DisableIMDSv1": BOOL,
        "EC2KeyName": None,
        "IamInstanceProfile": None,
        "ImageId": None,
        "InstanceType": None,
        "MonitoringInterval": ("1 minute", "5 minute"),
        "RootVolumeIOPS": (100, 20000),
        "RootVolumeSize": (8, 16384),
        "RootVolumeThroughput": (125, 1000),
        "RootVolumeType": ("standard", "gp2", "gp3", "io1"),
        "SSHSourceRestriction": None,
        "SecurityGroups": None,
    },
    "aws:autoscaling:trigger": {
        "BreachDuration": (1, 600),
        "EvaluationPeriods": (1, 600),
        "LowerBreachScaleIncrement": None,
        "LowerThreshold": (0, 20000000),
        "MeasureName": (
            "CPUUtilization", "NetworkIn", "NetworkOut", "DiskWriteOps", "DiskReadBytes", "DiskReadOps",
            "DiskWriteBytes", "Latency", "RequestCount", "HealthyHostCount", "UnhealthyHostCount", "TargetResponseTime",
        ),
        "Period": (1, 600),
        "Statistic": ("Minimum", "Maximum", "Sum", "Average"),
        "Unit": ("Seconds", "Percent", "Bytes", "Bits", "Count", "Bytes/Second", "Bits/Second", "Count/Second", "None"),
        "UpperBreachScaleIncrement": None,
        "UpperThreshold": (0, 20000000),
    },
    "aws:autoscaling:updatepolicy:rollingupdate": {
        "MaxBatchSize": (1, 10000),
        "MinInstancesInService": (0, 9999),
        "PauseTime": None,
        "RollingUpdateEnabled": BOOL,
        "RollingUpdateType": ("Time", "Health", "Immutable"),
        "Timeout": None,
    },
    "aws:ec2:instances": {
        "EnableSpot": BOOL,
        "InstanceTypes": None,
        "SpotFleetOnDemandAboveBasePercentage": (0, 100),
        "SpotFleetOnDemandBase": None,
        "SpotMaxPrice": None,
        "SupportedArchitectures": None,
    },
    "aws:ec2:vpc": {
        "AssociatePublicIpAddress": BOOL,
        "DBSubnets": None,
        "ELBScheme": ("public", "internal"),
        "ELBSubnets": None,
        "Subnets": None,
        "VPCId": None,
    },
    "aws:elasticbeanstalk:cloudwatch:logs": {"DeleteOnTerminate": BOOL, "RetentionInDays": LOG_RETENTION, "StreamLogs": BOOL},
    "aws:elasticbeanstalk:cloudwatch:logs:health": {
        "DeleteOnTerminate": BOOL,
        "HealthStreamingEnabled": BOOL,
        "RetentionInDays": LOG_RETENTION,
    },
    "aws:elasticbeanstalk:command": {
        "BatchSize": (1, 10000),
        "BatchSizeType": ("Percentage", "Fixed"),
        "DeploymentPolicy": ("AllAtOnce", "Rolling", "RollingWithAdditionalBatch", "Immutable", "TrafficSplitting"),
        "IgnoreHealthCheck": BOOL,
        "Timeout": (1, 3600),
    },
    "aws:elasticbeanstalk:environment": {
        "EnvironmentType": ("SingleInstance", "LoadBalanced"),
        "LoadBalancerIsShared": BOOL,
        "LoadBalancerType": ("classic", "application", "network"),
        "ServiceRole": None,
    },
    "aws:elasticbeanstalk:healthreporting:system": {
        "ConfigDocument": None,
        "EnhancedHealthAuthEnabled": BOOL,  # 2020
        "HealthCheckSuccessThreshold": ("Ok", "Warning", "Degraded", "Severe"),
        "SystemType": ("basic", "enhanced"),
    },
    "aws:elasticbeanstalk:hostmanager": {"LogPublicationControl": BOOL},
    "aws:elasticbeanstalk:managedactions": {
        "ManagedActionsEnabled": BOOL,
        "PreferredStartTime": None,
        "ServiceRoleForManagedUpdates": None,
    },
    "aws:elasticbeanstalk:managedactions:platformupdate": {"InstanceRefreshEnabled": BOOL, "UpdateLevel": ("patch", "minor")},
    "aws:elasticbeanstalk:xray": {"XRayEnabled": BOOL},
    "aws:elbv2:listener:default": LISTENER,
    "aws:elbv2:loadbalancer": {
        "AccessLogsS3Bucket": None,
        "AccessLogsS3Enabled": BOOL,
        "AccessLogsS3Prefix": None,
        "IdleTimeout": (1, 3600),
        "ManagedSecurityGroup": None,
        "SecurityGroups": None,
    },
}
# Namespaces with a name in them: a listener's port, a process's or a rule's name.
PATTERNED = [
    (re.compile(r"^aws:elbv2:listener:\d+$"), LISTENER),
    (re.compile(r"^aws:elasticbeanstalk:environment:process:[A-Za-z0-9_-]+$"), PROCESS),
    (re.compile(r"^aws:elbv2:listenerrule:[A-Za-z0-9_-]+$"), {"HostHeaders": None, "PathPatterns": None, "Priority": (1, 1000), "Process": None}),
]
# Namespaces whose option names are the user's: environment properties, secrets (2025), custom options.
FREE = {"aws:elasticbeanstalk:application:environment", "aws:elasticbeanstalk:application:environmentsecrets", "aws:elasticbeanstalk:customoption"}

SEVERITIES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
DOCKER_ENTRY_FILES = ("docker-compose.yml", "Dockerfile", "Dockerrun.aws.json")


class BeanstalkError(ServiceException):
    """An error with AWS's code and message: BeanstalkError("InvalidParameterValue", "...")."""


def invalid(message):
    return BeanstalkError("InvalidParameterValue", message)


def allowed(spec):
    return spec if isinstance(spec, tuple) and isinstance(spec[0], str) else None


def check_option(namespace, name, value):
    """Raises AWS's ConfigurationValidationException for an unknown option or a value out of its set."""
    if namespace in FREE:
        return
    options = OPTIONS.get(namespace)
    if options is None:
        options = next((o for p, o in PATTERNED if p.match(namespace)), None)
    if options is None or name not in options:
        raise BeanstalkError(
            "ConfigurationValidationException",
            f"Configuration validation exception: Invalid option specification (Namespace: '{namespace}', OptionName: '{name}'): Unknown configuration setting.",
        )
    spec = options[name]
    if spec is None:
        return
    if allowed(spec):
        ok = value in spec
        expected = f"one of the allowed values: [{', '.join(spec)}]"
    else:
        ok = re.fullmatch(r"-?\d+", value or "") is not None and spec[0] <= int(value) <= spec[1]
        expected = f"an integer from {spec[0]} to {spec[1]}"
    if not ok:
        raise BeanstalkError(
            "ConfigurationValidationException",
            f"Configuration validation exception: Invalid option value: '{value}' (Namespace: '{namespace}', OptionName: '{name}'): Value is not {expected}.",
        )


def platform_branch(solution_stack):
    """'64bit Amazon Linux 2023 v4.7.2 running Docker' -> '64bit Amazon Linux 2023 running Docker'."""
    return re.sub(r" v\d+(\.\d+)* ", " ", solution_stack)


KNOWN_BRANCHES = {platform_branch(s["SolutionStackName"]) for s in SOLUTION_STACK_DETAILS}


def now():
    return datetime.now(timezone.utc)


def aware(value):
    """A request's timestamp, compared with ours (UTC) whether or not it carries a zone."""
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class State:
    """One account and region's Beanstalk."""

    def __init__(self):
        self.applications = {}
        self.versions = {}  # (application, label) -> description
        self.environments = {}  # id -> Environment
        self.events = []
        self.tags = {}  # ARN -> {key: value}
        self.lock = threading.RLock()


_states = {}


def state_of(response):
    key = (response.current_account, response.region)
    return _states.setdefault(key, State())


def arn(response, kind, path):
    return f"arn:aws:elasticbeanstalk:{response.region}:{response.current_account}:{kind}/{path}"


class Environment:
    def __init__(self, description, settings):
        self.description = description
        self.settings = settings  # (namespace, name, resource) -> value
        self.ready_at = time.time() + TRANSITION_SECONDS
        self.next_status = "Ready"
        self.health = "Green"
        self.load_balancer_arn = None
        self.target_group_arn = None

    def refresh(self):
        if self.description["Status"] in ("Launching", "Updating", "Terminating") and time.time() >= self.ready_at:
            self.description["Status"] = self.next_status
            self.description["Health"] = "Grey" if self.next_status == "Terminated" else self.health
            self.description["DateUpdated"] = now()
        return self.description

    def setting(self, namespace, name, default=None):
        return self.settings.get((namespace, name, None), default)


def option_settings(params):
    settings = {}
    for s in params or []:
        namespace, name = s.get("Namespace", ""), s.get("OptionName", "")
        value = s.get("Value", "")
        check_option(namespace, name, value)
        settings[(namespace, name, s.get("ResourceName"))] = value
    return settings


def record_event(st, environment, severity, message):
    d = environment.description
    st.events.append(
        {
            "EventDate": now(),
            "Message": message,
            "ApplicationName": d["ApplicationName"],
            "VersionLabel": d.get("VersionLabel"),
            "EnvironmentName": d["EnvironmentName"],
            # No RequestId: moto's serializer takes a member of that name for the response's own.
            "Severity": severity,
        }
    )


def backends(response):
    from moto.acm.models import acm_backends
    from moto.ec2.models import ec2_backends
    from moto.elbv2.models import elbv2_backends
    from moto.iam.models import iam_backends
    from moto.s3.models import s3_backends

    account, region = response.current_account, response.region
    return {
        "acm": acm_backends[account][region],
        "ec2": ec2_backends[account][region],
        "elbv2": elbv2_backends[account][region],
        "iam": iam_backends[account]["global"],
        "s3": s3_backends[account]["global"],
    }


def source_bundle(response, bucket, key):
    try:
        return backends(response)["s3"].get_object(bucket, key).value
    except Exception:
        return None


def role_exists(iam, value):
    name = value.split("/")[-1]
    try:
        iam.get_role(name)
        return True
    except Exception:
        return False


def launch_problems(response, environment, bundle):
    """What Beanstalk's CloudFormation stack and the first deployment would fail on."""
    b = backends(response)
    problems = []
    ec2 = b["ec2"]
    vpc_id = environment.setting("aws:ec2:vpc", "VPCId")
    if vpc_id:
        try:
            ec2.get_vpc(vpc_id)
        except Exception:
            problems.append(f"The vpc ID '{vpc_id}' does not exist")
    for option in ("Subnets", "ELBSubnets"):
        for subnet_id in filter(None, (environment.setting("aws:ec2:vpc", option) or "").split(",")):
            try:
                subnet = ec2.get_subnet(subnet_id.strip())
                if vpc_id and subnet.vpc_id != vpc_id:
                    problems.append(f"Subnet {subnet_id} ({option}) is not in VPC {vpc_id}")
            except Exception:
                problems.append(f"The subnet ID '{subnet_id}' ({option}) does not exist")
    for namespace in ("aws:autoscaling:launchconfiguration", "aws:elbv2:loadbalancer"):
        for group_id in filter(None, (environment.setting(namespace, "SecurityGroups") or "").split(",")):
            if ec2.get_security_group_from_id(group_id.strip()) is None:
                problems.append(f"The security group '{group_id}' ({namespace}) does not exist")
    managed = environment.setting("aws:elbv2:loadbalancer", "ManagedSecurityGroup")
    if managed and managed not in [g.strip() for g in (environment.setting("aws:elbv2:loadbalancer", "SecurityGroups") or "").split(",")]:
        # AWS: "update the SecurityGroups setting in this namespace to include your security group's ID".
        problems.append(f"ManagedSecurityGroup {managed} is not among the load balancer's SecurityGroups")
    profile = environment.setting("aws:autoscaling:launchconfiguration", "IamInstanceProfile")
    if profile:
        try:
            b["iam"].get_instance_profile(profile.split("/")[-1])
        except Exception:
            problems.append(f"Invalid IamInstanceProfile: {profile}")
    for namespace, name in (("aws:elasticbeanstalk:environment", "ServiceRole"), ("aws:elasticbeanstalk:managedactions", "ServiceRoleForManagedUpdates")):
        role = environment.setting(namespace, name)
        if role and not role_exists(b["iam"], role):
            problems.append(f"Role {role} ({namespace} {name}) does not exist")
    for (namespace, name, _), value in environment.settings.items():
        if name == "SSLCertificateArns":
            try:
                b["acm"].get_certificate(value)
            except Exception:
                problems.append(f"Certificate '{value}' ({namespace}) not found")
    problems.extend(bundle_problems(environment, bundle))
    return problems


def ebextensions(archive):
    """Each .ebextensions/*.config in the bundle, in the order Beanstalk applies them: (name, document or YAMLError)."""
    for name in sorted(n for n in archive.namelist() if n.startswith(".ebextensions/") and n.endswith(".config")):
        try:
            yield name, yaml.safe_load(archive.read(name)) or {}
        except yaml.YAMLError as e:
            yield name, e


def bundle_problems(environment, bundle):
    try:
        archive = zipfile.ZipFile(io.BytesIO(bundle))
    except zipfile.BadZipFile:
        return ["The source bundle is not a ZIP archive"]
    problems = []
    set_here = set()  # options the bundle's own option_settings set
    if "docker" in environment.description["SolutionStackName"].lower() and not set(archive.namelist()).intersection(DOCKER_ENTRY_FILES):
        problems.append("Instance deployment: Both 'Dockerfile' and 'Dockerrun.aws.json' are missing in your source bundle. Include at least one of them.")
    for name, document in ebextensions(archive):
        if isinstance(document, yaml.YAMLError):
            problems.append(f"The configuration file {name} in application version {environment.description['VersionLabel']} contains invalid YAML or JSON. {document}")
            continue
        for namespace, option, value in ebextension_options(document.get("option_settings")):
            set_here.add((namespace, option))
            try:
                check_option(namespace, option, value)
            except BeanstalkError as e:
                problems.append(f"{name}: {e.message}")
        for ref in option_references(document):
            namespace, option = ref.get("Namespace"), ref.get("OptionName")
            if environment.setting(namespace, option) is None and (namespace, option) not in set_here and "DefaultValue" not in ref:
                problems.append(f"{name}: Fn::GetOptionSetting {namespace} {option} names an option that is not set and has no DefaultValue")
    return problems


def ebextension_options(settings):
    """option_settings in either form AWS documents (namespaces mapping options, or a list of
    namespace/option_name/value), each value as the API carries it (YAML's true as "true")."""
    text = lambda v: str(v).lower() if isinstance(v, bool) else str(v)  # noqa: E731
    if isinstance(settings, dict):
        for namespace, options in settings.items():
            for option, value in (options or {}).items():
                yield namespace, option, text(value)
    elif isinstance(settings, list):
        for item in settings:
            yield item.get("namespace"), item.get("option_name"), text(item.get("value"))


def option_references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetOptionSetting" and isinstance(value, dict):
                yield value
            else:
                yield from option_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from option_references(item)


def resolve(node, environment):
    if isinstance(node, dict):
        if set(node) == {"Fn::GetOptionSetting"}:
            ref = node["Fn::GetOptionSetting"]
            return environment.setting(ref["Namespace"], ref["OptionName"], ref.get("DefaultValue"))
        return {k: resolve(v, environment) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, environment) for v in node]
    return node


def template_resources(environment, bundle):
    """The Resources .ebextensions add to or override in Beanstalk's template, by logical name, options resolved."""
    resources = {}
    for _, document in ebextensions(zipfile.ZipFile(io.BytesIO(bundle))):
        for logical, resource in (document.get("Resources") or {}).items():
            merged = resources.setdefault(logical, {"Properties": {}})
            merged["Properties"].update(resolve((resource or {}).get("Properties") or {}, environment))
    return resources


def create_load_balancer(response, environment, bundle):
    """The environment's application load balancer, listeners and default process, as Beanstalk's
    template makes them (AWSEBV2LoadBalancer, AWSEBV2LoadBalancerListener[<port>], with what
    .ebextensions override in them)."""
    elbv2 = backends(response)["elbv2"]
    overrides = template_resources(environment, bundle)
    suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
    setting = environment.setting
    groups = [g.strip() for g in (setting("aws:elbv2:loadbalancer", "SecurityGroups") or "").split(",") if g.strip()]
    subnets = [s.strip() for s in (setting("aws:ec2:vpc", "ELBSubnets") or "").split(",") if s.strip()]
    balancer = elbv2.create_load_balancer(
        name=f"awseb-AWSEB-{suffix}",
        security_groups=groups,
        subnet_ids=subnets,
        scheme="internal" if setting("aws:ec2:vpc", "ELBScheme") == "internal" else "internet-facing",
        loadbalancer_type="application",
    )
    process = "aws:elasticbeanstalk:environment:process:default"
    group = elbv2.create_target_group(
        name=f"awseb-AWSEB-{suffix[:10]}-tg",
        vpc_id=setting("aws:ec2:vpc", "VPCId"),
        protocol=setting(process, "Protocol", "HTTP"),
        port=setting(process, "Port", "80"),
        healthcheck_path=setting(process, "HealthCheckPath", "/"),
        healthcheck_interval_seconds=int(setting(process, "HealthCheckInterval", "15")),
        healthcheck_timeout_seconds=int(setting(process, "HealthCheckTimeout", "5")),
        healthy_threshold_count=setting(process, "HealthyThresholdCount", "3"),
        unhealthy_threshold_count=setting(process, "UnhealthyThresholdCount", "5"),
        matcher={"HttpCode": setting(process, "MatcherHTTPCode", "200")},
        target_type="instance",
    )
    elbv2.modify_target_group_attributes(group.arn, {"deregistration_delay.timeout_seconds": setting(process, "DeregistrationDelay", "20")})
    listeners = {"80": "aws:elbv2:listener:default"}
    listeners.update({ns.rsplit(":", 1)[1]: ns for (ns, _, _) in environment.settings if re.match(r"^aws:elbv2:listener:\d+$", ns)})
    for port, namespace in sorted(listeners.items()):
        if setting(namespace, "ListenerEnabled", "true") == "false":
            continue
        protocol = setting(namespace, "Protocol", "HTTP")
        logical = "AWSEBV2LoadBalancerListener" + ("" if port == "80" else port)
        actions = (overrides.get(logical) or {}).get("Properties", {}).get("DefaultActions") or [{"Type": "forward", "TargetGroupArn": group.arn}]
        elbv2.create_listener(
            load_balancer_arn=balancer.arn,
            protocol=protocol,
            port=port,
            ssl_policy=setting(namespace, "SSLPolicy") if protocol == "HTTPS" else None,
            certificate=setting(namespace, "SSLCertificateArns"),
            actions=actions,
        )
    attributes = (overrides.get("AWSEBV2LoadBalancer") or {}).get("Properties", {}).get("LoadBalancerAttributes") or []
    if attributes:
        elbv2.modify_load_balancer_attributes(balancer.arn, {a["Key"]: str(a["Value"]) for a in attributes})
    environment.load_balancer_arn, environment.target_group_arn = balancer.arn, group.arn
    environment.description["EndpointURL"] = balancer.dns_name


def delete_load_balancer(response, environment):
    if not environment.load_balancer_arn:
        return
    elbv2 = backends(response)["elbv2"]
    for listener in list(elbv2.load_balancers[environment.load_balancer_arn].listeners):
        elbv2.delete_listener(listener)
    elbv2.delete_load_balancer(environment.load_balancer_arn)
    elbv2.delete_target_group(environment.target_group_arn)
    environment.load_balancer_arn = environment.target_group_arn = None


def deploy(response, st, environment, first):
    """A launch or a deployment: what fails is an ERROR event; what succeeds is the environment's resources."""
    d = environment.description
    version = st.versions[(d["ApplicationName"], d["VersionLabel"])]
    bundle = source_bundle(response, version["SourceBundle"]["S3Bucket"], version["SourceBundle"]["S3Key"]) or b""
    problems = launch_problems(response, environment, bundle)
    for problem in problems:
        record_event(st, environment, "ERROR", problem)
    if problems:
        environment.health = "Grey"
        return
    # What .ebextensions set applies below what the API set (AWS: settings applied directly take precedence).
    for _, document in ebextensions(zipfile.ZipFile(io.BytesIO(bundle))):
        for namespace, option, value in ebextension_options(document.get("option_settings")):
            environment.settings.setdefault((namespace, option, None), value)
    if first and environment.setting("aws:elasticbeanstalk:environment", "EnvironmentType", "LoadBalanced") == "LoadBalanced":
        create_load_balancer(response, environment, bundle)
    record_event(st, environment, "INFO", "Successfully launched environment: " + d["EnvironmentName"] if first else "Environment update completed successfully.")


def application_description(st, name):
    app = st.applications[name]
    return {
        **app,
        "Versions": [label for (a, label) in st.versions if a == name],
        "ConfigurationTemplates": [],
    }


def lifecycle_config(response, config):
    role = (config or {}).get("ServiceRole")
    if role is not None and not re.fullmatch(r"arn:aws:iam::\d{12}:role/.+", role):
        raise invalid("ServiceRole is not a valid arn")
    if role and not role_exists(backends(response)["iam"], role):
        raise BeanstalkError("InsufficientPrivilegesException", f"The role {role} does not exist or Elastic Beanstalk cannot assume it.")
    return config


def application_or_fail(st, name):
    if name not in st.applications:
        raise invalid(f"No Application named '{name}' found.")
    return st.applications[name]


def environment_of(st, environment_id=None, environment_name=None):
    for e in st.environments.values():
        e.refresh()
        d = e.description
        if (environment_id and d["EnvironmentId"] == environment_id) or (
            environment_name and not environment_id and d["EnvironmentName"] == environment_name and d["Status"] != "Terminated"
        ):
            return e
    raise invalid(f"No Environment found for EnvironmentId = '{environment_id}'." if environment_id else f"No Environment found for EnvironmentName = '{environment_name}'.")


# ----- the operations -----


def create_application(self):
    st = state_of(self)
    name = self._get_param("ApplicationName")
    with st.lock:
        if name in st.applications:
            raise invalid(f"Application {name} already exists.")
        config = lifecycle_config(self, self._get_param("ResourceLifecycleConfig"))
        st.applications[name] = {
            "ApplicationArn": arn(self, "application", name),
            "ApplicationName": name,
            "Description": self._get_param("Description"),
            "DateCreated": now(),
            "DateUpdated": now(),
            "ResourceLifecycleConfig": config or {"VersionLifecycleConfig": {"MaxCountRule": {"Enabled": False}, "MaxAgeRule": {"Enabled": False}}},
        }
        st.tags[arn(self, "application", name)] = {t["Key"]: t["Value"] for t in self._get_param("Tags", [])}
        return ActionResult({"Application": application_description(st, name)})


def describe_applications(self):
    st = state_of(self)
    names = self._get_param("ApplicationNames") or list(st.applications)
    return ActionResult({"Applications": [application_description(st, n) for n in names if n in st.applications]})


def update_application(self):
    st = state_of(self)
    app = application_or_fail(st, self._get_param("ApplicationName"))
    if self._get_param("Description") is not None:
        app["Description"] = self._get_param("Description")
    app["DateUpdated"] = now()
    return ActionResult({"Application": application_description(st, app["ApplicationName"])})


def update_application_resource_lifecycle(self):
    st = state_of(self)
    app = application_or_fail(st, self._get_param("ApplicationName"))
    app["ResourceLifecycleConfig"] = lifecycle_config(self, self._get_param("ResourceLifecycleConfig"))
    return ActionResult({"ApplicationName": app["ApplicationName"], "ResourceLifecycleConfig": app["ResourceLifecycleConfig"]})


def delete_application(self):
    st = state_of(self)
    name = self._get_param("ApplicationName")
    with st.lock:
        application_or_fail(st, name)
        live = [e for e in st.environments.values() if e.description["ApplicationName"] == name and e.refresh()["Status"] != "Terminated"]
        if live and not self._get_param("TerminateEnvByForce"):
            raise BeanstalkError("InvalidParameterValue", f"Unable to delete application {name} because it has running environments.")
        del st.applications[name]
        for key in [k for k in st.versions if k[0] == name]:
            del st.versions[key]
    return EmptyResult()


def create_application_version(self):
    st = state_of(self)
    name, label = self._get_param("ApplicationName"), self._get_param("VersionLabel")
    bundle = self._get_param("SourceBundle") or {}
    with st.lock:
        application_or_fail(st, name)
        if (name, label) in st.versions:
            raise invalid(f"Application Version {label} already exists.")
        if source_bundle(self, bundle.get("S3Bucket"), bundle.get("S3Key")) is None:
            raise BeanstalkError(
                "InvalidParameterCombination",
                f"Unable to download from S3 location (Bucket: {bundle.get('S3Bucket')}  Key: {bundle.get('S3Key')}). Reason: Not Found",
            )
        version_arn = arn(self, "applicationversion", f"{name}/{label}")
        st.versions[(name, label)] = {
            "ApplicationVersionArn": version_arn,
            "ApplicationName": name,
            "Description": self._get_param("Description"),
            "VersionLabel": label,
            "SourceBundle": {"S3Bucket": bundle["S3Bucket"], "S3Key": bundle["S3Key"]},
            "DateCreated": now(),
            "DateUpdated": now(),
            "Status": "PROCESSED" if self._get_param("Process") else "UNPROCESSED",
        }
        st.tags[version_arn] = {t["Key"]: t["Value"] for t in self._get_param("Tags", [])}
        return ActionResult({"ApplicationVersion": st.versions[(name, label)]})


def describe_application_versions(self):
    st = state_of(self)
    name, labels = self._get_param("ApplicationName"), self._get_param("VersionLabels")
    found = [v for (a, label), v in st.versions.items() if (not name or a == name) and (not labels or label in labels)]
    return ActionResult({"ApplicationVersions": found})


def update_application_version(self):
    st = state_of(self)
    key = (self._get_param("ApplicationName"), self._get_param("VersionLabel"))
    if key not in st.versions:
        raise invalid(f"No Application Version named '{key[1]}' found.")
    st.versions[key]["Description"] = self._get_param("Description")
    return ActionResult({"ApplicationVersion": st.versions[key]})


def delete_application_version(self):
    st = state_of(self)
    key = (self._get_param("ApplicationName"), self._get_param("VersionLabel"))
    with st.lock:
        if key not in st.versions:
            raise invalid(f"No Application Version named '{key[1]}' found.")
        users = [
            e.description["EnvironmentName"]
            for e in st.environments.values()
            if (e.description["ApplicationName"], e.description.get("VersionLabel")) == key and e.refresh()["Status"] != "Terminated"
        ]
        if users:
            raise invalid(f"Unable to delete application version {key[1]} because it is being used by environment(s) {', '.join(users)}.")
        del st.versions[key]
    return EmptyResult()


def create_environment(self):
    st = state_of(self)
    app_name, name = self._get_param("ApplicationName"), self._get_param("EnvironmentName")
    stack, label = self._get_param("SolutionStackName"), self._get_param("VersionLabel")
    with st.lock:
        application_or_fail(st, app_name)
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{2,38})[A-Za-z0-9]", name or ""):
            raise invalid(f"Value {name} at 'EnvironmentName' failed to satisfy constraint: Member must be 4 to 40 letters, digits and hyphens, not starting or ending with a hyphen")
        if any(e.description["EnvironmentName"] == name and e.refresh()["Status"] != "Terminated" for e in st.environments.values()):
            raise invalid(f"Environment {name} already exists.")
        if not stack or platform_branch(stack) not in KNOWN_BRANCHES:
            raise invalid(f"No Solution Stack named '{stack}' found.")
        if label and (app_name, label) not in st.versions:
            raise invalid(f"No Application Version named '{label}' found.")
        settings = option_settings(self._get_param("OptionSettings"))
        environment_id = "e-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=10))
        token = "eba-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))
        tier = self._get_param("Tier") or {"Name": "WebServer", "Type": "Standard"}
        environment = Environment(
            {
                "EnvironmentName": name,
                "EnvironmentId": environment_id,
                "ApplicationName": app_name,
                "VersionLabel": label,
                "SolutionStackName": stack,
                "PlatformArn": f"arn:aws:elasticbeanstalk:{self.region}::platform/{platform_branch(stack).replace('64bit ', '').replace(' running ', ' ')}",
                "Description": self._get_param("Description"),
                "CNAME": f"{self._get_param('CNAMEPrefix') or name}.{token}.{self.region}.elasticbeanstalk.com",
                "DateCreated": now(),
                "DateUpdated": now(),
                "Status": "Launching",
                "AbortableOperationInProgress": False,
                "Health": "Grey",
                "Tier": {"Name": tier["Name"], "Type": tier["Type"], "Version": "1.0"},
                "EnvironmentLinks": [],
                "EnvironmentArn": arn(self, "environment", f"{app_name}/{name}"),
            },
            settings,
        )
        st.environments[environment_id] = environment
        st.tags[environment.description["EnvironmentArn"]] = {t["Key"]: t["Value"] for t in self._get_param("Tags", [])}
        record_event(st, environment, "INFO", "createEnvironment is starting.")
        deploy(self, st, environment, first=True)
        return ActionResult(dict(environment.description))


def describe_environments(self):
    st = state_of(self)
    ids, names = self._get_param("EnvironmentIds"), self._get_param("EnvironmentNames")
    app, label = self._get_param("ApplicationName"), self._get_param("VersionLabel")
    include_deleted = self._get_param("IncludeDeleted") is not False
    back_to = aware(self._get_param("IncludedDeletedBackTo"))
    found = []
    for e in st.environments.values():
        d = e.refresh()
        if ids and d["EnvironmentId"] not in ids or names and d["EnvironmentName"] not in names:
            continue
        if app and d["ApplicationName"] != app or label and d.get("VersionLabel") != label:
            continue
        if d["Status"] == "Terminated" and (not include_deleted or (back_to and d["DateUpdated"] < back_to)):
            continue
        found.append(dict(d))
    return ActionResult({"Environments": found})


def describe_environment_resources(self):
    st = state_of(self)
    e = environment_of(st, self._get_param("EnvironmentId"), self._get_param("EnvironmentName"))
    return ActionResult(
        {
            "EnvironmentResources": {
                "EnvironmentName": e.description["EnvironmentName"],
                "AutoScalingGroups": [],
                "Instances": [],
                "LaunchConfigurations": [],
                "LaunchTemplates": [],
                "LoadBalancers": [{"Name": e.load_balancer_arn}] if e.load_balancer_arn else [],
                "Triggers": [],
                "Queues": [],
            }
        }
    )


def describe_configuration_settings(self):
    st = state_of(self)
    app_name, name = self._get_param("ApplicationName"), self._get_param("EnvironmentName")
    application_or_fail(st, app_name)
    e = environment_of(st, None, name)
    d = e.description
    settings = [
        {"Namespace": ns, "OptionName": option, **({"ResourceName": resource} if resource else {}), "Value": value}
        for (ns, option, resource), value in sorted(e.settings.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))
    ]
    return ActionResult(
        {
            "ConfigurationSettings": [
                {
                    "SolutionStackName": d["SolutionStackName"],
                    "PlatformArn": d["PlatformArn"],
                    "ApplicationName": app_name,
                    "EnvironmentName": name,
                    "DeploymentStatus": "deployed",
                    "DateCreated": d["DateCreated"],
                    "DateUpdated": d["DateUpdated"],
                    "OptionSettings": settings,
                }
            ]
        }
    )


def update_environment(self):
    st = state_of(self)
    with st.lock:
        e = environment_of(st, self._get_param("EnvironmentId"), self._get_param("EnvironmentName"))
        d = e.refresh()
        if d["Status"] != "Ready":
            raise invalid(f"Environment named {d['EnvironmentName']} is in an invalid state for this operation. Must be Ready.")
        label = self._get_param("VersionLabel")
        if label and (d["ApplicationName"], label) not in st.versions:
            raise invalid(f"No Application Version named '{label}' found.")
        added = option_settings(self._get_param("OptionSettings"))
        for r in self._get_param("OptionsToRemove") or []:
            e.settings.pop((r.get("Namespace"), r.get("OptionName"), r.get("ResourceName")), None)
        e.settings.update(added)
        if label:
            d["VersionLabel"] = label
        if self._get_param("Description") is not None:
            d["Description"] = self._get_param("Description")
        if self._get_param("SolutionStackName"):
            d["SolutionStackName"] = self._get_param("SolutionStackName")
        d["Status"], e.next_status, e.ready_at = "Updating", "Ready", time.time() + TRANSITION_SECONDS
        deploy(self, st, e, first=e.load_balancer_arn is None)
        return ActionResult(dict(d))


def terminate_environment(self):
    st = state_of(self)
    with st.lock:
        e = environment_of(st, self._get_param("EnvironmentId"), self._get_param("EnvironmentName"))
        d = e.refresh()
        if d["Status"] in ("Terminating", "Terminated"):
            raise invalid(f"No Environment found for EnvironmentId = '{d['EnvironmentId']}'.")
        delete_load_balancer(self, e)
        d["Status"], e.next_status, e.ready_at = "Terminating", "Terminated", time.time() + TRANSITION_SECONDS
        record_event(st, e, "INFO", "terminateEnvironment is starting.")
        return ActionResult(dict(d))


def describe_events(self):
    st = state_of(self)
    env_id, env_name = self._get_param("EnvironmentId"), self._get_param("EnvironmentName")
    app, severity = self._get_param("ApplicationName"), self._get_param("Severity") or "TRACE"
    start, end = aware(self._get_param("StartTime")), aware(self._get_param("EndTime"))
    if env_id:
        env_name = environment_of(st, env_id).description["EnvironmentName"]
    floor = SEVERITIES.index(severity)
    found = [
        ev
        for ev in st.events
        if (not env_name or ev["EnvironmentName"] == env_name)
        and (not app or ev["ApplicationName"] == app)
        and SEVERITIES.index(ev["Severity"]) >= floor
        and (not start or ev["EventDate"] >= start)
        and (not end or ev["EventDate"] < end)
    ]
    return ActionResult({"Events": sorted(found, key=lambda ev: ev["EventDate"], reverse=True)})


def tags_of(self):
    st = state_of(self)
    resource = self._get_param("ResourceArn")
    if resource not in st.tags:
        raise BeanstalkError("ResourceNotFoundException", f"Resource not found for ARN '{resource}'.")
    return st.tags[resource]


def list_tags_for_resource(self):
    tags = tags_of(self)
    return ActionResult({"ResourceArn": self._get_param("ResourceArn"), "ResourceTags": [{"Key": k, "Value": v} for k, v in tags.items()]})


def update_tags_for_resource(self):
    tags = tags_of(self)
    tags.update({t["Key"]: t["Value"] for t in self._get_param("TagsToAdd", [])})
    for key in self._get_param("TagsToRemove", []):
        tags.pop(key, None)
    return EmptyResult()


OPERATIONS = [
    create_application,
    describe_applications,
    update_application,
    update_application_resource_lifecycle,
    delete_application,
    create_application_version,
    describe_application_versions,
    update_application_version,
    delete_application_version,
    create_environment,
    describe_environments,
    describe_environment_resources,
    describe_configuration_settings,
    update_environment,
    terminate_environment,
    describe_events,
    list_tags_for_resource,
    update_tags_for_resource,
]


def install():
    for operation in OPERATIONS:
        setattr(eb_responses.EBResponse, operation.__name__, operation)
