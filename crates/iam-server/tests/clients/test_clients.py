"""Real AWS clients (boto3/botocore, aws-cli v1) against a running `iamctl serve`.

Stage: end-to-end check of the STS endpoint and `/v1/authorize`. Input: the `iamctl` binary
named by `IAMCTL_BIN` (run.sh builds it), the pinned clients of requirements.txt. Output:
pytest results. Every server runs on a free loopback port with a demo state folder in a
temporary directory (plus the suite's own MFA device and policy statements, see
`add_suite_fixture`) and is stopped (SIGTERM) at the end; nothing here talks to AWS or keeps
state.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import queue
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ACCOUNT = "111122223333"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/demo"
DEMO_ROLE = f"arn:aws:iam::{ACCOUNT}:role/demo-role"
WEB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-role"
REGION = "us-east-1"
# The offset of the second server's clock (test-only `--test-clock`).
OFFSET_SECS = 3600
# The suite's own additions to the demo state (see `add_suite_fixture`): a virtual MFA device
# of the demo user with a test-only seed, and statements in the demo user's inline policy.
MFA_SERIAL = f"arn:aws:iam::{ACCOUNT}:mfa/demo"
MFA_SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
MFA_FAILED = (
    "GetSessionToken call failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
BUCKET_OBJECT = "arn:aws:s3:::demo-bucket/report.csv"
SUITE_STATEMENTS = [
    {
        "Sid": "DecodeAndKeyInfo",
        "Effect": "Allow",
        "Action": ["sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo"],
        "Resource": "*",
    },
    {
        "Sid": "PutWithMfa",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::demo-bucket/*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    },
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
]
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


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


def add_suite_fixture(state):
    """Adds the suite's MFA device and policy statements to a freshly written demo state."""
    with open(os.path.join(state, "directory.toml"), "a", encoding="utf-8") as f:
        f.write(
            f'\n[[account.mfa_device]]\nuser = "demo"\nserial = "{MFA_SERIAL}"\n'
            f'totp_secret = "{MFA_SEED}"\n'
        )
    account_path = os.path.join(state, "account.json")
    with open(account_path, encoding="utf-8") as f:
        account = json.load(f)
    (user,) = [u for u in account["UserDetailList"] if u["UserName"] == "demo"]
    user["UserPolicyList"][0]["PolicyDocument"]["Statement"].extend(SUITE_STATEMENTS)
    with open(account_path, "w", encoding="utf-8") as f:
        json.dump(account, f, indent=2)


@pytest.fixture(scope="session")
def state(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("iamctl-state"))
    # A first start writes the demo state folder; the servers of the suite reuse it.
    Server(folder, "bootstrap.log").stop()
    add_suite_fixture(folder)
    return folder


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


def client_error(call):
    """The parsed error response of the ClientError that `call` must raise."""
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def error_code(call):
    return client_error(call)["Error"]["Code"]


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


def aws_cli(server, tmp_path, *args):
    """Runs `aws <args>` with the demo user's keys against `server`; JSON output."""
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    env = clean_subprocess_env(
        tmp_path,
        AWS_ACCESS_KEY_ID=server.access_key_id,
        AWS_SECRET_ACCESS_KEY=server.secret_access_key,
    )
    return subprocess.run(
        [aws, *args, "--endpoint-url", server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def aws_cli_json(server, tmp_path, *args):
    out = aws_cli(server, tmp_path, *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def totp(seed, at):
    """RFC 6238 TOTP of a base32 seed at Unix time `at`: HMAC-SHA1, 30-second steps, 6 digits."""
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    (number,) = struct.unpack(">I", mac[offset:offset + 4])
    return f"{(number & 0x7FFFFFFF) % 1_000_000:06d}"


def wrong_code(seed):
    """A six-digit code that matches none of the steps around now (the server allows ±1)."""
    now = time.time()
    near = {totp(seed, now + 30 * steps) for steps in range(-3, 4)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in near)


def mfa_session(server):
    return user_client(server).get_session_token(
        DurationSeconds=900, SerialNumber=MFA_SERIAL, TokenCode=totp(MFA_SEED, time.time())
    )["Credentials"]


def role_session(server, name):
    return user_client(server).assume_role(RoleArn=DEMO_ROLE, RoleSessionName=name)


def user_credentials(server):
    return Credentials(server.access_key_id, server.secret_access_key)


def session_credentials(credentials):
    return Credentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )


def flip_middle(text):
    """`text` with its middle character changed (to another base64url character)."""
    middle = len(text) // 2
    flipped = "A" if text[middle] != "A" else "B"
    return text[:middle] + flipped + text[middle + 1:]


def http(method, url, body=None, headers=None):
    """A plain HTTP exchange: (status, headers, body text); error statuses are returned."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


def signed_sts_post(server, credentials, params, accept=None):
    """An STS Query POST signed with botocore's SigV4Auth and sent with urllib."""
    url = server.url + "/"
    body = urllib.parse.urlencode({**params, "Version": "2011-06-15"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if accept:
        headers["Accept"] = accept
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    botocore.auth.SigV4Auth(credentials, "sts", REGION).add_auth(request)
    return http("POST", url, body, dict(request.headers.items()))


DATA_PLANE_HOST = "demo-bucket.s3.example.test"


def data_plane_request(credentials, method, path="/report.csv", service="s3"):
    """A data-plane request signed with `credentials` for `service`, described as
    `/v1/authorize` wants it."""
    request = AWSRequest(
        method=method, url=f"http://{DATA_PLANE_HOST}{path}", headers={"Host": DATA_PLANE_HOST}
    )
    botocore.auth.SigV4Auth(credentials, service, REGION).add_auth(request)
    return {
        "method": method,
        "path": path,
        "query": "",
        "headers": [[name.lower(), value] for name, value in request.headers.items()],
        "payload_sha256": EMPTY_SHA256,
    }


def authorize(server, signed, action, resource=BUCKET_OBJECT):
    """POST /v1/authorize: (status, parsed JSON answer)."""
    body = json.dumps({"request": signed, "action": action, "resource": resource}).encode()
    status, headers, text = http(
        "POST", server.url + "/v1/authorize", body, {"Content-Type": "application/json"}
    )
    assert headers["Content-Type"] == "application/json"
    answer = json.loads(text)
    assert answer.get("request_id", answer.get("RequestId")) == headers["x-amzn-RequestId"]
    return status, answer


def decision(server, credentials, method, action):
    """The decision of an authorize call that must succeed."""
    status, answer = authorize(server, data_plane_request(credentials, method), action)
    assert status == 200, answer
    return answer


def decode(server, encoded):
    result = user_client(server).decode_authorization_message(EncodedMessage=encoded)
    return json.loads(result["DecodedMessage"])


def conditions_of(decoded):
    return {
        item["key"]: [value["value"] for value in item["values"]["items"]]
        for item in decoded["context"]["conditions"]["items"]
    }


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
    assert aws_cli_json(server, tmp_path, "sts", "get-caller-identity")["Arn"] == USER_ARN


def test_aws_cli_assume_role(server, tmp_path):
    result = aws_cli_json(
        server, tmp_path,
        "sts", "assume-role", "--role-arn", DEMO_ROLE, "--role-session-name", "cli",
    )
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
    creds = role_session(server, "tamper")["Credentials"]
    creds = dict(creds, SessionToken=flip_middle(creds["SessionToken"]))
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


# --- MFA -------------------------------------------------------------------------------------


def test_totp_helper_matches_the_rfc_6238_vectors():
    # RFC 6238 appendix B, SHA-1, seed "12345678901234567890" (= MFA_SEED), last six digits.
    assert totp(MFA_SEED, 59) == "287082"
    assert totp(MFA_SEED, 1111111109) == "081804"
    assert totp(MFA_SEED, 2000000000) == "279037"


def test_get_session_token_with_mfa_makes_mfa_present_in_the_session(server):
    creds = mfa_session(server)
    assert creds["AccessKeyId"].startswith("ASIA")
    assert session_client(server.url, creds).get_caller_identity()["Arn"] == USER_ARN
    # `PutWithMfa` allows s3:PutObject only when aws:MultiFactorAuthPresent is true.
    answer = decision(server, session_credentials(creds), "PUT", "s3:PutObject")
    assert answer["decision"] == "Allow", answer
    assert answer["principal"] == USER_ARN
    assert "`PutWithMfa`" in answer["explanation"]


def test_session_without_mfa_is_refused_the_mfa_gated_action(server):
    creds = user_client(server).get_session_token(DurationSeconds=900)["Credentials"]
    answer = decision(server, session_credentials(creds), "PUT", "s3:PutObject")
    assert answer["decision"] == "ImplicitDeny", answer
    decoded = decode(server, answer["encoded_message"])
    assert conditions_of(decoded)["aws:MultiFactorAuthPresent"] == ["false"]


def test_assume_role_with_mfa_carries_mfa_into_the_role_session(server):
    role = user_client(server).assume_role(
        RoleArn=DEMO_ROLE,
        RoleSessionName="with-mfa",
        SerialNumber=MFA_SERIAL,
        TokenCode=totp(MFA_SEED, time.time()),
    )
    answer = decision(server, session_credentials(role["Credentials"]), "PUT", "s3:PutObject")
    assert answer["decision"] == "ImplicitDeny", answer
    conditions = conditions_of(decode(server, answer["encoded_message"]))
    assert conditions["aws:MultiFactorAuthPresent"] == ["true"]
    assert "aws:MultiFactorAuthAge" in conditions


def test_wrong_mfa_code_is_access_denied(server):
    client = user_client(server)
    response = client_error(
        lambda: client.get_session_token(SerialNumber=MFA_SERIAL, TokenCode=wrong_code(MFA_SEED))
    )
    error = response["Error"]
    assert (error["Code"], error["Message"]) == ("AccessDenied", MFA_FAILED)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_mfa_serial_without_a_device_is_access_denied(server):
    client = user_client(server)
    call = lambda: client.get_session_token(  # noqa: E731
        SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/nobody", TokenCode=totp(MFA_SEED, time.time())
    )
    assert error_code(call) == "AccessDenied"


def test_aws_cli_get_session_token_with_mfa(server, tmp_path):
    result = aws_cli_json(
        server, tmp_path,
        "sts", "get-session-token", "--duration-seconds", "900",
        "--serial-number", MFA_SERIAL, "--token-code", totp(MFA_SEED, time.time()),
    )
    answer = decision(server, session_credentials(result["Credentials"]), "PUT", "s3:PutObject")
    assert answer["decision"] == "Allow", answer


def test_aws_cli_reports_a_wrong_mfa_code(server, tmp_path):
    out = aws_cli(
        server, tmp_path,
        "sts", "get-session-token", "--serial-number", MFA_SERIAL,
        "--token-code", wrong_code(MFA_SEED),
    )
    assert out.returncode != 0
    assert (
        "An error occurred (AccessDenied) when calling the GetSessionToken operation: "
        + MFA_FAILED
    ) in out.stderr


# --- DecodeAuthorizationMessage --------------------------------------------------------------


def test_decode_authorization_message_explains_an_implicit_deny(server):
    role = role_session(server, "decode")
    answer = decision(server, session_credentials(role["Credentials"]), "PUT", "s3:PutObject")
    assert answer["decision"] == "ImplicitDeny", answer
    decoded = decode(server, answer["encoded_message"])
    assert decoded["allowed"] is False
    assert decoded["explicitDeny"] is False
    assert decoded["matchedStatements"]["items"] == []
    assert decoded["failures"]["items"], decoded
    context = decoded["context"]
    assert context["principal"]["arn"] == role["AssumedRoleUser"]["Arn"]
    assert context["principal"]["id"] == role["AssumedRoleUser"]["AssumedRoleId"]
    assert context["action"].lower() == "s3:putobject"
    assert context["resource"] == BUCKET_OBJECT
    assert "expiresAt" not in decoded


def test_decoded_explicit_deny_names_the_statement_and_the_mfa_context(server):
    creds = session_credentials(mfa_session(server))
    answer = decision(server, creds, "DELETE", "s3:DeleteObject")
    assert answer["decision"] == "ExplicitDeny", answer
    assert "`NoDeletes`" in answer["explanation"]
    decoded = decode(server, answer["encoded_message"])
    assert decoded["allowed"] is False
    assert decoded["explicitDeny"] is True
    assert [item["sid"] for item in decoded["matchedStatements"]["items"]] == ["NoDeletes"]
    conditions = conditions_of(decoded)
    assert conditions["aws:MultiFactorAuthPresent"] == ["true"]
    assert "aws:MultiFactorAuthAge" in conditions
    assert decoded["context"]["principal"]["arn"] == USER_ARN


def test_tampered_authorization_message_is_invalid_authorization_message_exception(server):
    answer = decision(server, user_credentials(server), "DELETE", "s3:DeleteObject")
    client = user_client(server)
    with pytest.raises(client.exceptions.InvalidAuthorizationMessageException) as info:
        client.decode_authorization_message(EncodedMessage=flip_middle(answer["encoded_message"]))
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The untampered message still decodes.
    assert decode(server, answer["encoded_message"])["explicitDeny"] is True


def test_role_session_without_permission_cannot_decode(server):
    answer = decision(server, user_credentials(server), "DELETE", "s3:DeleteObject")
    role = role_session(server, "no-decode")
    client = session_client(server.url, role["Credentials"])
    error = client_error(
        lambda: client.decode_authorization_message(EncodedMessage=answer["encoded_message"])
    )["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"].startswith(
        f"User: {role['AssumedRoleUser']['Arn']} is not authorized to perform: "
        "sts:DecodeAuthorizationMessage"
    ), error["Message"]


def test_aws_cli_decode_authorization_message(server, tmp_path):
    answer = decision(server, user_credentials(server), "DELETE", "s3:DeleteObject")
    result = aws_cli_json(
        server, tmp_path,
        "sts", "decode-authorization-message", "--encoded-message", answer["encoded_message"],
    )
    decoded = json.loads(result["DecodedMessage"])
    assert decoded["explicitDeny"] is True
    assert decoded["context"]["resource"] == BUCKET_OBJECT


# --- GetAccessKeyInfo ------------------------------------------------------------------------


def test_get_access_key_info_names_the_account_of_a_user_key(server):
    result = user_client(server).get_access_key_info(AccessKeyId=server.access_key_id)
    assert result["Account"] == ACCOUNT


def test_get_access_key_info_names_the_account_of_a_temporary_key(server):
    creds = role_session(server, "key-info")["Credentials"]
    result = user_client(server).get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assert result["Account"] == ACCOUNT


def test_get_access_key_info_with_session_token_credentials_is_access_denied(server):
    creds = user_client(server).get_session_token(DurationSeconds=900)["Credentials"]
    client = session_client(server.url, creds)
    error = client_error(
        lambda: client.get_access_key_info(AccessKeyId=server.access_key_id)
    )["Error"]
    assert (error["Code"], error["Message"]) == (
        "AccessDenied",
        "Cannot call GetAccessKeyInfo with session credentials",
    )


# --- JSON rendering (Accept: application/json) -----------------------------------------------


def test_accept_json_renders_get_caller_identity_as_json(server):
    credentials = user_credentials(server)
    params = {"Action": "GetCallerIdentity"}
    status, headers, text = signed_sts_post(server, credentials, params, "application/json")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    identity = user_client(server).get_caller_identity()
    assert json.loads(text) == {
        "GetCallerIdentityResponse": {
            "GetCallerIdentityResult": {
                "Arn": identity["Arn"],
                "UserId": identity["UserId"],
                "Account": identity["Account"],
            },
            "ResponseMetadata": {"RequestId": headers["x-amzn-RequestId"]},
        }
    }
    # The same signed request without the header is answered in XML.
    status, headers, text = signed_sts_post(server, credentials, params)
    assert (status, headers["Content-Type"]) == (200, "text/xml")
    assert text.startswith("<GetCallerIdentityResponse ")


def test_accept_json_gives_expirations_in_epoch_seconds(server):
    before = time.time()
    status, _, text = signed_sts_post(
        server,
        user_credentials(server),
        {"Action": "GetSessionToken", "DurationSeconds": "900"},
        "application/json",
    )
    assert status == 200, text
    assert re.search(r'"Expiration":\d\.\d+E9[,}]', text), text
    result = json.loads(text)["GetSessionTokenResponse"]["GetSessionTokenResult"]
    creds = result["Credentials"]
    assert before + 899 <= creds["Expiration"] <= time.time() + 901
    assert session_client(server.url, creds).get_caller_identity()["Arn"] == USER_ARN


def test_accept_json_renders_errors_as_json(server):
    status, headers, text = signed_sts_post(
        server,
        user_credentials(server),
        {"Action": "AssumeRole", "RoleArn": WEB_ROLE, "RoleSessionName": "json-denied"},
        "application/json",
    )
    assert status == 403
    assert headers["Content-Type"] == "application/json"
    body = json.loads(text)
    assert set(body) == {"Error", "RequestId"}
    assert (body["Error"]["Code"], body["Error"]["Type"]) == ("AccessDenied", "Sender")
    assert body["Error"]["Message"].startswith(
        f"User: {USER_ARN} is not authorized to perform: sts:AssumeRole on resource: {WEB_ROLE}"
    ), body["Error"]["Message"]
    assert body["RequestId"] == headers["x-amzn-RequestId"]


def test_accept_json_renders_a_signature_mismatch_as_json(server):
    wrong = Credentials(server.access_key_id, flip_middle(server.secret_access_key))
    status, headers, text = signed_sts_post(
        server, wrong, {"Action": "GetCallerIdentity"}, "application/json"
    )
    assert (status, headers["Content-Type"]) == (403, "application/json")
    assert json.loads(text)["Error"]["Code"] == "SignatureDoesNotMatch"


# --- /v1/authorize ---------------------------------------------------------------------------


def test_authorize_allows_what_the_role_session_may_do(server):
    role = role_session(server, "authorize-allow")
    answer = decision(server, session_credentials(role["Credentials"]), "GET", "s3:GetObject")
    assert answer["decision"] == "Allow", answer
    assert answer["principal"] == role["AssumedRoleUser"]["Arn"]
    assert "`demo-read`" in answer["explanation"]
    assert "encoded_message" not in answer


def test_authorize_denies_what_the_role_session_may_not_do(server):
    role = role_session(server, "authorize-deny")
    answer = decision(server, session_credentials(role["Credentials"]), "PUT", "s3:PutObject")
    assert answer["decision"] == "ImplicitDeny", answer
    assert answer["principal"] == role["AssumedRoleUser"]["Arn"]
    assert answer["explanation"] == "no identity-based policy allows the request"
    assert answer["encoded_message"]


def test_authorize_refuses_a_bad_signature(server):
    creds = session_credentials(role_session(server, "authorize-bad")["Credentials"])
    signed = data_plane_request(creds, "GET")
    headers = dict(signed["headers"])
    signature = headers["authorization"][-1]
    headers["authorization"] = headers["authorization"][:-1] + ("0" if signature != "0" else "1")
    status, answer = authorize(server, dict(signed, headers=list(headers.items())), "s3:GetObject")
    assert status == 403
    error = answer["Error"]
    assert (error["Code"], error["Type"]) == ("SignatureDoesNotMatch", "Sender")
    # The untampered request is allowed.
    assert decision(server, creds, "GET", "s3:GetObject")["decision"] == "Allow"


def test_authorize_refuses_a_changed_payload(server):
    signed = data_plane_request(user_credentials(server), "GET")
    changed = dict(signed, payload_sha256=hashlib.sha256(b"other body").hexdigest())
    status, answer = authorize(server, changed, "s3:GetObject")
    assert status == 403
    assert answer["Error"]["Code"] == "SignatureDoesNotMatch"


def test_authorize_refuses_an_unsigned_request(server):
    unsigned = {
        "method": "GET",
        "path": "/report.csv",
        "headers": [["host", DATA_PLANE_HOST]],
        "payload_sha256": EMPTY_SHA256,
    }
    status, answer = authorize(server, unsigned, "s3:GetObject")
    assert status == 403
    assert answer["Error"]["Code"] == "MissingAuthenticationToken"


def test_authorize_refuses_a_request_signed_for_another_service(server):
    signed = data_plane_request(user_credentials(server), "GET", service="sts")
    status, answer = authorize(server, signed, "s3:GetObject")
    assert status == 403
    assert answer["Error"]["Code"] == "SignatureDoesNotMatch"


def test_authorize_with_expired_session_credentials_is_expired_token(
    server, late_server, monkeypatch
):
    creds = user_client(server).get_session_token(DurationSeconds=900)["Credentials"]
    shifted_clock(monkeypatch, OFFSET_SECS)
    status, answer = authorize(
        late_server, data_plane_request(session_credentials(creds), "GET"), "s3:GetObject"
    )
    assert status == 403
    assert answer["Error"]["Code"] == "ExpiredToken"
