"""Start the moto server on 127.0.0.1 at a free port, print {"port": N}, and
stop when stdin closes (the parent exited) or on SIGTERM.

Two of moto's lookups are quadratic and would make fleet-sized benchmarks
measure the emulator: they are replaced below by indexed versions with the
same results (Security Hub imports, EC2 tags). DynamoDB's conditional writes
are atomic in AWS, but moto's threaded server checks a condition and then
writes without a lock, so two concurrent claims of one idempotency key could
both succeed: its writes are serialised below. moto has no BatchUpdateFindings
(the note a remediation writes on its finding): it is emulated below on
moto's own stored findings. moto's DescribeSnapshots ignores OwnerIds and
RestorableByUserIds, and it has no snapshot Block Public Access: both are
emulated below (ebs.snapshot-public). moto's ECS cannot run an awsvpc task (its
NetworkInterface has no private_dns_name unless the VPC has DNS host names)
nor a Fargate task whose containers set no memory of their own (Fargate takes
the task's): both are patched below (the ECS container scan of issue 30).
Timestream for InfluxDB clusters gain the engineType AWS derives from their
parameter group (InfluxDB 3), and S3 answers GetBucketPolicyStatus, which moto
lacks. ECS task containers report their networkBindings (bridge and host
networking), which moto leaves out. Nothing else is changed."""
import datetime
import json
import signal
import sys

import functools
import threading

from moto.dynamodb.models import DynamoDBBackend
from moto.core.responses import ActionResult
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ec2.models import core as ec2_core
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.securityhub import models as securityhub
from moto.securityhub import responses as securityhub_responses
from moto.securityhub import urls as securityhub_urls
from moto.securityhub.exceptions import InvalidInputException
from moto.server import ThreadedMotoServer


def batch_import_findings(self, findings):
    """moto's BatchImportFindings, with an Id index instead of a linear scan
    of every stored finding per imported finding (quadratic: minutes at fleet
    scale, which would make the benchmarks measure the emulator). Same
    validation, same update-or-append, same failure entries."""
    index = getattr(self, "_influxguard_index", None)
    if index is None or len(index) != len(self.findings):
        index = self._influxguard_index = {f.id: f for f in self.findings}
    failures = []
    for data in findings:
        try:
            if not isinstance(data["Resources"], list) or len(data["Resources"]) == 0:
                raise InvalidInputException(op="BatchImportFindings", msg="Finding must contain at least one resource in the Resources array")
            existing = index.get(data["Id"])
            if existing:
                existing.data.update(data)
            else:
                index[data["Id"]] = finding = securityhub.Finding(data["Id"], data)
                self.findings.append(finding)
        except Exception as e:
            failures.append({"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": str(e)})
    return len(failures), len(findings) - len(failures), failures


securityhub.SecurityHubBackend.batch_import_findings = batch_import_findings


def batch_update_findings(self):
    """Security Hub's BatchUpdateFindings (PATCH /findings/batchupdate), which
    moto lacks: the fields a customer sets (Note, Workflow, VerificationState,
    UserDefinedFields) on the stored findings named by Id and ProductArn; an
    identifier that names no stored finding is answered in
    UnprocessedFindings, as AWS does."""
    body = json.loads(self.body or "{}")
    backend = self.securityhub_backend
    by_id = {f.id: f for f in backend.findings}
    processed, unprocessed = [], []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for ident in body.get("FindingIdentifiers", []):
        f = by_id.get(ident.get("Id"))
        if f is None or f.data.get("ProductArn") != ident.get("ProductArn"):
            unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"})
            continue
        if "Note" in body:
            f.data["Note"] = {**body["Note"], "UpdatedAt": now}
        if "Workflow" in body:
            f.data["Workflow"] = body["Workflow"]
        for key in ("VerificationState", "UserDefinedFields"):
            if key in body:
                f.data[key] = body[key]
        f.data["UpdatedAt"] = now
        processed.append(ident)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


securityhub_responses.SecurityHubResponse.batch_update_findings = batch_update_findings
securityhub_urls.url_paths["{0}/findings/batchupdate$"] = securityhub_responses.SecurityHubResponse.dispatch


def get_tags(self):
    """moto's TaggedEC2Resource.get_tags, as a lookup of the resource's own
    tags: moto runs describe_tags over every tagged resource for each one
    (quadratic; 20 of the 42 seconds of one DescribeInstances of 2,000
    instances here). Same entries, same order."""
    if not self.id:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    return [{"resource_id": self.id, "key": k, "value": v, "resource_type": resource_type} for k, v in self.ec2_backend.tags.get(self.id, {}).items()]


ec2_core.TaggedEC2Resource.get_tags = get_tags


def describe_snapshots(self):
    """moto's DescribeSnapshots with the two parameters it ignores:
    OwnerIds (`self` or account ids) and RestorableByUserIds (`all`: public
    snapshots; an account id: shared with it), as AWS applies them."""
    snapshots = self.ec2_backend.describe_snapshots(
        snapshot_ids=self._get_param("SnapshotIds", []), filters=self._filters_from_querystring()
    )
    account = self.ec2_backend.account_id
    owners = [account if o == "self" else o for o in self._get_param("OwnerIds", [])]
    if owners:
        snapshots = [s for s in snapshots if s.owner_id in owners]
    restorable = self._get_param("RestorableByUserIds", [])
    if restorable:
        snapshots = [
            s
            for s in snapshots
            if ("all" in restorable and "all" in s.create_volume_permission_groups)
            or any(u in s.create_volume_permission_userids for u in restorable if u != "all")
        ]
    return ActionResult({"Snapshots": snapshots})


ElasticBlockStore.describe_snapshots = describe_snapshots

# Snapshot Block Public Access by account and region (moto lacks it): `unblocked` until enabled.
_snapshot_bpa = {}


def _bpa_key(self):
    return (self.ec2_backend.account_id, self.region)


def get_snapshot_block_public_access_state(self):
    return ActionResult({"State": _snapshot_bpa.get(_bpa_key(self), "unblocked"), "ManagedBy": "account"})


def enable_snapshot_block_public_access(self):
    _snapshot_bpa[_bpa_key(self)] = state = self._get_param("State")
    return ActionResult({"State": state})


def disable_snapshot_block_public_access(self):
    _snapshot_bpa.pop(_bpa_key(self), None)
    return ActionResult({"State": "unblocked"})


ElasticBlockStore.get_snapshot_block_public_access_state = get_snapshot_block_public_access_state
ElasticBlockStore.enable_snapshot_block_public_access = enable_snapshot_block_public_access
ElasticBlockStore.disable_snapshot_block_public_access = disable_snapshot_block_public_access


# Timestream for InfluxDB 3 (issue 32): moto's clusters have no engineType. AWS derives it from the cluster's DB
# parameter group (an InfluxDBv3Core / InfluxDBv3Enterprise member makes an InfluxDB 3 cluster, whose API listens
# on 8181 by default); emulated here from the group moto stores. Nothing else of the service is changed.
from moto.timestreaminfluxdb import models as timestream

V3_ENGINES = {"InfluxDBv3Core": "INFLUXDB_V3_CORE", "InfluxDBv3Enterprise": "INFLUXDB_V3_ENTERPRISE"}


def _engine_of(backend, group_id):
    group = backend.db_parameter_groups.get(group_id) if group_id else None
    for member in (group.parameters if group else {}) or {}:
        if member in V3_ENGINES:
            return V3_ENGINES[member]
    return "INFLUXDB_V2"


_create_db_cluster = timestream.TimestreamInfluxDBBackend.create_db_cluster


def create_db_cluster(self, *args, **kwargs):
    engine = _engine_of(self, kwargs.get("db_parameter_group_identifier"))
    if engine != "INFLUXDB_V2" and not kwargs.get("port"):
        kwargs["port"] = 8181
    cluster_id, status = _create_db_cluster(self, *args, **kwargs)
    self.db_clusters[cluster_id]._influxguard_engine = engine
    return cluster_id, status


_cluster_to_dict = timestream.Cluster.to_dict


def cluster_to_dict(self):
    return {**_cluster_to_dict(self), "engineType": getattr(self, "_influxguard_engine", "INFLUXDB_V2")}


timestream.TimestreamInfluxDBBackend.create_db_cluster = create_db_cluster
timestream.Cluster.to_dict = cluster_to_dict

_dynamodb_writes = threading.Lock()


def _atomic(method):
    @functools.wraps(method)
    def locked(*args, **kwargs):
        with _dynamodb_writes:
            return method(*args, **kwargs)

    return locked


for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    setattr(DynamoDBBackend, _name, _atomic(getattr(DynamoDBBackend, _name)))

# moto 5.2's ECS Task reads eni.private_dns_name for an awsvpc task's attachment, which moto's NetworkInterface sets
# only in a VPC with DNS host names (AWS always answers a privateDnsName): without this, RunTask of an awsvpc task
# (every Fargate task) fails with AttributeError. An instance's own name still wins where moto sets one.
NetworkInterface.private_dns_name = None

_task_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements


def _calculate_task_resource_requirements(task_definition):
    """moto adds each container's memory, which a Fargate task definition may leave out (the task's memory
    applies): RunTask then fails with a TypeError on None. A missing container memory counts as 0."""
    for c in task_definition.container_definitions:
        if not any(c.get(k) is not None for k in ("memory", "memoryReservation", "Memory", "MemoryReservation")):
            c.setdefault("memory", 0)
    return _task_requirements(task_definition)


# A static method in moto: kept one.
EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_calculate_task_resource_requirements)


# moto 5.2's task containers have no networkBindings (ECS reports, per running container, the host port each mapped
# container port is bound to): a bridge or host task's portMappings are bound as ECS binds them, a bridge mapping
# without a hostPort (or 0) to the next port of the ephemeral range. moto models one container per task (the task
# definition's first): a later container has no bindings, as in AWS before it runs (the dynamic port not yet known).
from moto.ecs.models import Container as _EcsContainer

_container_init = _EcsContainer.__init__
_ephemeral_ports = iter(range(32768, 61000))


def _container_init_with_bindings(self, task_def):
    _container_init(self, task_def)
    mode = getattr(task_def, "network_mode", None) or "bridge"
    self.network_bindings = []
    if mode not in ("bridge", "host"):
        return
    for m in task_def.container_definitions[0].get("portMappings") or []:
        host = m.get("hostPort") or (m.get("containerPort") if mode == "host" else next(_ephemeral_ports))
        self.network_bindings.append(
            {"bindIP": "0.0.0.0", "containerPort": m.get("containerPort"), "hostPort": host, "protocol": m.get("protocol", "tcp")}
        )


_EcsContainer.__init__ = _container_init_with_bindings


# S3 GetBucketPolicyStatus (GET /BUCKET?policyStatus), which moto lacks (storage.object-store-public, issue 32): a
# bucket policy is public when a statement allows everyone (Principal "*" or {"AWS": "*"}) without a Condition, a
# simplification of AWS's rule (a condition on fixed values also keeps it private) that the tests' policies respect.
from moto.s3 import responses as s3_responses

_bucket_response_get = s3_responses.S3Response._bucket_response_get


def _policy_is_public(policy):
    try:
        doc = json.loads(policy)
    except (TypeError, ValueError):
        return False
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"]))
        if st.get("Effect") == "Allow" and everyone and not st.get("Condition"):
            return True
    return False


def bucket_response_get(self, bucket_name, querystring):
    if "policyStatus" not in querystring:
        return _bucket_response_get(self, bucket_name, querystring)
    self._set_action("BUCKET", "GET", querystring)
    self._authenticate_and_authorize_s3_action(bucket_name=bucket_name)
    policy = self.backend.get_bucket_policy(bucket_name)
    if not policy:
        body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>'
        return 404, {}, body
    public = "true" if _policy_is_public(policy) else "false"
    return 200, {}, '<?xml version="1.0" encoding="UTF-8"?><PolicyStatus><IsPublic>%s</IsPublic></PolicyStatus>' % public


s3_responses.S3Response._bucket_response_get = bucket_response_get


server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(json.dumps({"port": server._server.server_port}), flush=True)


def stop(*_):
    server.stop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stdin.read()
stop()

