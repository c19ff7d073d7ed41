"""Real AWS clients (boto3/botocore, aws-cli v1) against a running `iamctl serve`.

Stage: end-to-end check of the STS endpoint. Input: the `iamctl` binary named by
`IAMCTL_BIN` (run.sh builds it), the pinned clients of requirements.txt. Output: pytest
results. Every server runs on a free loopback port with a demo state folder in a temporary
directory and is stopped (SIGTERM) at the end; nothing here talks to AWS or keeps state.
"""

import datetime
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/demo"
DEMO_ROLE = f"arn:aws:iam::{ACCOUNT}:role/demo-role"
WEB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-role"
REGION = "us-east-1"
# The offset of the second server's clock (test-only `--test-clock`).
OFFSET_SECS = 3600


def iamctl():
    path = os.environ.get("IAMCTL_BIN")
    if not path:
        pytest.fail("IAMCTL_BIN is not set: run crates/iam-server/tests/clients/run.sh")
    return path


class Server:
    """One `iamctl serve` process on a free loopback port."""

    def __init__(self, state, log_name, extra_env=None, extra_args=()):
        env = dict(os.environ)
        env.update(extra_env or {})
        self.log_path = os.path.join(state, log_name)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [iamctl(), "serve", "--listen", "127.0.0.1:0", "--state", state, *extra_args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        lines = queue.Queue()

        def pump():
            for raw in self.proc.stdout:
                lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        self.url = None
        self.access_key_id = None
        self.secret_access_key = None
        deadline = time.monotonic() + 60
        while self.url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.stop()
                with open(self.log_path, encoding="utf-8", errors="replace") as f:
                    pytest.fail("iamctl serve did not start:\n" + f.read())
            if line.startswith("AWS_ACCESS_KEY_ID="):
                self.access_key_id = line.split("=", 1)[1].split()[0]
            elif line.startswith("AWS_SECRET_ACCESS_KEY="):
                self.secret_access_key = line.split("=", 1)[1].split()[0]
            elif line.startswith("listening on "):
                self.url = line[len("listening on "):].strip()
        for _ in range(100):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("iamctl serve never answered /healthz")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def state(tmp_path_factory):
    return str(tmp_path_factory.mktemp("iamctl-state"))


@pytest.fixture(scope="session")
def server(state):
    srv = Server(
        state,
        "server.log",
        extra_args=("--audit-log", os.path.join(state, "audit.log")),
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def late_server(state, server):
    """A second server on the same state folder whose clock runs OFFSET_SECS ahead."""
    srv = Server(
        state,
        "late-server.log",
        extra_env={"IAMCTL_TEST_CLOCK_OFFSET_SECS": str(OFFSET_SECS)},
        extra_args=("--test-clock",),
    )
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def clean_aws_env(monkeypatch, tmp_path):
    """No ambient AWS configuration leaks into a test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def sts(url, key=None, secret=None, token=None, **config):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, **config)
    return boto3.session.Session().client(
        "sts",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=cfg,
    )


def user_client(server, **config):
    return sts(server.url, server.access_key_id, server.secret_access_key, **config)


def session_client(url, credentials, **config):
    return sts(
        url,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        **config,
    )


def error_code(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


def id_token(state, subject="demo-workload"):
    out = subprocess.run(
        [iamctl(), "token", "web-identity", "--state", state, "--subject", subject],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def clean_subprocess_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "credentials")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_DEFAULT_REGION"] = REGION
    env.update(extra)
    return env


# --- successes -------------------------------------------------------------------------------


def test_get_caller_identity_with_long_term_user_keys(server):
    identity = user_client(server).get_caller_identity()
    assert identity["Arn"] == USER_ARN
    assert identity["Account"] == ACCOUNT
    assert identity["UserId"]


def test_assume_role_credentials_sign_a_second_call(server):
    before = datetime.datetime.now(datetime.timezone.utc)
    result = user_client(server).assume_role(
        RoleArn=DEMO_ROLE,
        RoleSessionName="try",
        Tags=[{"Key": "team", "Value": "blue"}],
        TransitiveTagKeys=["team"],
    )
    creds = result["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert len(creds["SecretAccessKey"]) == 40
    assert 3500 <= (creds["Expiration"] - before).total_seconds() <= 3700
    role_user = result["AssumedRoleUser"]
    assert role_user["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/demo-role/try"
    assert role_user["AssumedRoleId"].endswith(":try")
    identity = session_client(server.url, creds).get_caller_identity()
    assert identity["Arn"] == role_user["Arn"]
    assert identity["UserId"] == role_user["AssumedRoleId"]
    assert identity["Account"] == ACCOUNT


def test_get_session_token_credentials_act_as_the_user(server):
    creds = user_client(server).get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    identity = session_client(server.url, creds).get_caller_identity()
    assert identity["Arn"] == USER_ARN


def test_get_federation_token_names_the_federated_user(server):
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    result = user_client(server).get_federation_token(Name="fed-user", Policy=policy)
    assert result["FederatedUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/fed-user"
    assert result["FederatedUser"]["FederatedUserId"] == f"{ACCOUNT}:fed-user"
    assert "PackedPolicySize" in result
    identity = session_client(server.url, result["Credentials"]).get_caller_identity()
    assert identity["Arn"] == result["FederatedUser"]["Arn"]


def test_assume_role_with_web_identity_unsigned_boto3_call(server, state):
    client = sts(server.url, signature_version=UNSIGNED)
    result = client.assume_role_with_web_identity(
        RoleArn=WEB_ROLE,
        RoleSessionName="web-session",
        WebIdentityToken=id_token(state),
    )
    assert result["SubjectFromWebIdentityToken"] == "demo-workload"
    assert result["Audience"] == "sts.amazonaws.com"
    assert result["Provider"] == f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.iamctl.demo"
    assert result["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/web-role/web-session"
    )
    identity = session_client(server.url, result["Credentials"]).get_caller_identity()
    assert identity["Arn"] == result["AssumedRoleUser"]["Arn"]


def test_botocore_web_identity_provider_uses_the_configured_endpoint(server, state, tmp_path):
    token_file = tmp_path / "token.jwt"
    token_file.write_text(id_token(state))
    env = clean_subprocess_env(
        tmp_path,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN=WEB_ROLE,
        AWS_ROLE_SESSION_NAME="provider-session",
        AWS_ENDPOINT_URL_STS=server.url,
    )
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/web-role/provider-session"
    )


def test_presigned_get_caller_identity_over_plain_get(server):
    url = user_client(server).generate_presigned_url(
        "get_caller_identity", ExpiresIn=300, HttpMethod="GET"
    )
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode("utf-8")
        assert response.status == 200
    assert f"<Arn>{USER_ARN}</Arn>" in body


def test_aws_cli_get_caller_identity(server, tmp_path):
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    env = clean_subprocess_env(
        tmp_path,
        AWS_ACCESS_KEY_ID=server.access_key_id,
        AWS_SECRET_ACCESS_KEY=server.secret_access_key,
    )
    out = subprocess.run(
        [aws, "sts", "get-caller-identity", "--endpoint-url", server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == USER_ARN


def test_aws_cli_assume_role(server, tmp_path):
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    env = clean_subprocess_env(
        tmp_path,
        AWS_ACCESS_KEY_ID=server.access_key_id,
        AWS_SECRET_ACCESS_KEY=server.secret_access_key,
    )
    out = subprocess.run(
        [
            aws, "sts", "assume-role", "--endpoint-url", server.url, "--output", "json",
            "--role-arn", DEMO_ROLE, "--role-session-name", "cli",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/demo-role/cli"


# --- errors ----------------------------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match(server):
    wrong = ("x" if server.secret_access_key[0] != "x" else "y") + server.secret_access_key[1:]
    client = sts(server.url, server.access_key_id, wrong)
    assert error_code(client.get_caller_identity) == "SignatureDoesNotMatch"


def test_unknown_access_key_is_invalid_client_token_id(server):
    client = sts(server.url, "AKIAIOSFODNN7EXAMPLE", server.secret_access_key)
    assert error_code(client.get_caller_identity) == "InvalidClientTokenId"


def test_tampered_session_token_is_invalid_client_token_id(server):
    creds = user_client(server).assume_role(RoleArn=DEMO_ROLE, RoleSessionName="tamper")[
        "Credentials"
    ]
    token = creds["SessionToken"]
    middle = len(token) // 2
    flipped = "A" if token[middle] != "A" else "B"
    creds = dict(creds, SessionToken=token[:middle] + flipped + token[middle + 1:])
    client = session_client(server.url, creds)
    assert error_code(client.get_caller_identity) == "InvalidClientTokenId"


def shifted_clock(monkeypatch, seconds):
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda *a, **k: real(*a, **k) + datetime.timedelta(seconds=seconds),
    )


def test_expired_session_credentials_are_expired_token(server, late_server, monkeypatch):
    creds = user_client(server).assume_role(
        RoleArn=DEMO_ROLE, RoleSessionName="short", DurationSeconds=900
    )["Credentials"]
    # The late server's clock is OFFSET_SECS ahead; sign with the same time so only the
    # credentials' age differs.
    shifted_clock(monkeypatch, OFFSET_SECS)
    client = session_client(late_server.url, creds)
    assert error_code(client.get_caller_identity) == "ExpiredToken"


def test_longer_credentials_still_work_on_the_late_server(server, late_server, monkeypatch):
    # The control for the test above: same servers, same shifted signing clock, credentials
    # that outlive the offset.
    creds = user_client(server).get_session_token(DurationSeconds=2 * OFFSET_SECS)["Credentials"]
    shifted_clock(monkeypatch, OFFSET_SECS)
    identity = session_client(late_server.url, creds).get_caller_identity()
    assert identity["Arn"] == USER_ARN


def test_clock_skew_beyond_fifteen_minutes_is_signature_does_not_match(server, monkeypatch):
    shifted_clock(monkeypatch, 20 * 60)
    assert error_code(user_client(server).get_caller_identity) == "SignatureDoesNotMatch"


def test_clock_skew_in_the_past_is_signature_does_not_match(server, monkeypatch):
    shifted_clock(monkeypatch, -20 * 60)
    assert error_code(user_client(server).get_caller_identity) == "SignatureDoesNotMatch"


def test_trust_policy_denial_is_access_denied(server):
    client = user_client(server)
    call = lambda: client.assume_role(RoleArn=WEB_ROLE, RoleSessionName="nope")  # noqa: E731
    assert error_code(call) == "AccessDenied"


def test_short_role_session_name_is_validation_error(server):
    client = user_client(server, parameter_validation=False)
    call = lambda: client.assume_role(RoleArn=DEMO_ROLE, RoleSessionName="a")  # noqa: E731
    assert error_code(call) == "ValidationError"


def test_too_small_duration_is_validation_error(server):
    client = user_client(server, parameter_validation=False)
    call = lambda: client.assume_role(  # noqa: E731
        RoleArn=DEMO_ROLE, RoleSessionName="short-duration", DurationSeconds=100
    )
    assert error_code(call) == "ValidationError"


def test_invalid_web_identity_token_is_typed_exception(server):
    client = sts(server.url, signature_version=UNSIGNED)
    with pytest.raises(client.exceptions.InvalidIdentityTokenException):
        client.assume_role_with_web_identity(
            RoleArn=WEB_ROLE, RoleSessionName="bad-token", WebIdentityToken="not.a.jwt"
        )


def test_audit_log_records_issues_without_secrets(server, state):
    creds = user_client(server).assume_role(RoleArn=DEMO_ROLE, RoleSessionName="audited")[
        "Credentials"
    ]
    with open(os.path.join(state, "audit.log"), encoding="utf-8") as f:
        text = f.read()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert any(r.get("issued_access_key_id") == creds["AccessKeyId"] for r in records)
    assert creds["SecretAccessKey"] not in text
    assert creds["SessionToken"] not in text
    assert server.secret_access_key not in text
