"""Environment variable names, in one place.

An explicit argument always beats the environment; the environment beats profile defaults.
"""

PROFILE = "GLADIATOR_PROFILE"  # "local" (default) or "aws"
STACK_PREFIX = "GLADIATOR_PREFIX"  # physical-name prefix, e.g. "gladiator-dev"
HOME = "GLADIATOR_HOME"  # local state folder (default: <repo>/.gladiator)
PORT_OFFSET = "GLADIATOR_PORT_OFFSET"  # shifts every local service port (isolated stacks in tests)
JAVA_HOME = "GLADIATOR_JAVA_HOME"  # a JDK 17 for Spark and Kafka (default: autodetected)
JARS_DIR = "GLADIATOR_JARS_DIR"  # folder holding jars/spark and jars/kafka
SYSTEM_JAVA_HOME = "JAVA_HOME"  # the machine's JDK: used for Spark only if it is JDK 17
LOCAL_JOBS = "GLADIATOR_LOCAL_JOBS"  # driver (default: one Spark driver per local run) | spark-submit
DRIVER_MEMORY = (
    "GLADIATOR_DRIVER_MEMORY"  # local Spark driver heap for every job, e.g. "3g" (default: per job)
)
CLASS_ARCHIVE = "GLADIATOR_CLASS_ARCHIVE"  # "off": local Spark JVMs do not map the CDS archive
JOB_THREADS = "GLADIATOR_JOB_THREADS"  # batch jobs: entities / gold tables at once (1 = one by one)
DEBUG = "GLADIATOR_DEBUG"  # CLI: 1 shows the traceback of a failure (same as `gladiator --debug`)

AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
# Per-service endpoint overrides (boto3's own convention), e.g. S3 on LocalStack and DynamoDB on moto.
AWS_ENDPOINT_URL_SERVICE = "AWS_ENDPOINT_URL_{service}"  # service: S3, SQS, EVENTBRIDGE, DYNAMODB, SFN...
AWS_SERVICE_ENV_NAMES = {
    "s3": "S3",
    "sqs": "SQS",
    "events": "EVENTBRIDGE",
    "dynamodb": "DYNAMODB",
    "stepfunctions": "SFN",
}

LANDING_BUCKET = "GLADIATOR_LANDING_BUCKET"
LAKE_BUCKET = "GLADIATOR_LAKE_BUCKET"
QUARANTINE_BUCKET = "GLADIATOR_QUARANTINE_BUCKET"
LEDGER_TABLE = "GLADIATOR_LEDGER_TABLE"
JOB_STATE_TABLE = "GLADIATOR_JOB_STATE_TABLE"
IDEMPOTENCY_TABLE = "GLADIATOR_IDEMPOTENCY_TABLE"
LIVE_KPI_TABLE = "GLADIATOR_LIVE_KPI_TABLE"
GLUE_DATABASE = "GLADIATOR_GLUE_DATABASE"
MAX_LANDING_FILE_BYTES = "GLADIATOR_MAX_LANDING_FILE_BYTES"  # landing files above this are quarantined
STATE_MACHINE_ARN = "GLADIATOR_STATE_MACHINE_ARN"  # the pipeline state machine the batch trigger starts
BATCH_MAX_FILES = "GLADIATOR_BATCH_MAX_FILES"  # batch trigger: start a run at this many waiting files
BATCH_MAX_BYTES = "GLADIATOR_BATCH_MAX_BYTES"  # ... or this many waiting bytes
BATCH_MAX_WAIT_S = "GLADIATOR_BATCH_MAX_WAIT_S"  # ... or when the oldest file has waited this long
LINEAGE_URL = "GLADIATOR_LINEAGE_URL"  # OpenLineage HTTP endpoint (AWS; set from the CDK configuration)
LINEAGE_FILE = "GLADIATOR_LINEAGE_FILE"  # local: the JSON-lines file of run events (default: <home>/lineage)
CRASH_AT = "GLADIATOR_CRASH_AT"  # tests only: crash points where a job dies like kill -9
CRASH_MARKERS = "GLADIATOR_CRASH_MARKERS"  # tests only: folder recording the crash points already hit
KAFKA_BOOTSTRAP = "GLADIATOR_KAFKA_BOOTSTRAP"
MYSQL_URL = "GLADIATOR_MYSQL_URL"
WAREHOUSE_URL = "GLADIATOR_WAREHOUSE_URL"
WAREHOUSE_COPY_ROLE = "GLADIATOR_WAREHOUSE_COPY_ROLE"  # Redshift: IAM role ARN used by COPY
WAREHOUSE_SECRET_ARN = "GLADIATOR_WAREHOUSE_SECRET_ARN"  # Redshift Data API: database secret (optional)
