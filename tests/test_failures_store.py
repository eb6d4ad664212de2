"""Keys and values sent to MLflow: sanitised, bounded, and free of credentials."""

import pytest

from experiments.store_safety import (
    MAX_PARAM_LENGTH,
    TRUNCATION_MARKER,
    redact_text,
    redact_uri,
    safe_key,
    safe_params,
    safe_tags,
    safe_value,
)

pytest.importorskip("mlflow", reason="the harness tests need the [harness] extra")

from mlflow.utils.validation import (  # noqa: E402
    MAX_PARAM_VAL_LENGTH,
    MAX_TAG_VAL_LENGTH,
    _validate_param_name,
    _validate_tag_name,
)


@pytest.mark.parametrize("key, expected", [
    ("optimizer.lr", "optimizer.lr"),
    ("data/features list", "data/features list"),
    ("a:b$c", "a_b_c"),
    ("weight[0]", "weight_0_"),
    ("größe", "gr__e"),
    ("", "_"),
])
def test_safe_key_replaces_characters(key, expected):
    assert safe_key(key) == expected


@pytest.mark.parametrize("key", ["a:b$c", "x" * 400, "ключ", "tab\there", "new\nline"])
def test_safe_key_accepted_by_mlflow(key):
    # MLflow's own validators raise MlflowException for a key it would reject.
    _validate_param_name(safe_key(key))
    _validate_tag_name(safe_key(key))


def test_safe_value_truncates_with_marker():
    assert safe_value("short", 10) == "short"
    cut = safe_value("x" * 7000, MAX_PARAM_LENGTH)
    assert len(cut) == MAX_PARAM_LENGTH
    assert cut.endswith(TRUNCATION_MARKER)
    assert cut.startswith("x" * 100)


def test_limits_match_mlflow():
    assert MAX_PARAM_LENGTH == MAX_PARAM_VAL_LENGTH
    assert len(safe_tags({"t": "y" * 9000})["t"]) == MAX_TAG_VAL_LENGTH


def test_safe_params_keep_colliding_keys():
    params = safe_params({"a:b": "1", "a$b": "2", "a_b": "3"})
    assert params == {"a_b": "1", "a_b_2": "2", "a_b_3": "3"}


def test_secrets_redacted():
    params = safe_params({"tracking.uri": "https://alice:pa55@127.0.0.1:5000/mlflow",
                          "tracking.api_token": "abc123", "optimizer.lr": "0.1",
                          "data.url": "https://127.0.0.1/data.csv"})
    assert params["tracking.uri"] == "https://alice:[redacted]@127.0.0.1:5000/mlflow"
    assert params["tracking.api_token"] == "[redacted]"
    assert params["optimizer.lr"] == "0.1"
    assert params["data.url"] == "https://127.0.0.1/data.csv"


def test_redact_uri_without_password_unchanged():
    assert redact_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert redact_uri("http://bob@127.0.0.1:5000") == "http://bob@127.0.0.1:5000"


def test_redact_text_hides_uri_passwords():
    text = ("tracking:\n  uri: http://alice:pa55w0rd@127.0.0.1:5000\n"
            "- tracking.uri=postgresql+psycopg2://bob:s3cret@127.0.0.1/db\nlr: 0.1\n")
    redacted = redact_text(text)
    assert "pa55w0rd" not in redacted
    assert "s3cret" not in redacted
    assert "http://alice:[redacted]@127.0.0.1:5000" in redacted
    assert "postgresql+psycopg2://bob:[redacted]@127.0.0.1/db" in redacted
    assert redacted.endswith("lr: 0.1\n")
