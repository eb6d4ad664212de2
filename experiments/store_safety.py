"""Make params and tags safe to store: keys MLflow accepts, bounded values, no credentials.

MLflow 3.17 accepts keys of letters, digits and ``_ - . / space`` up to 250 characters, param
values up to 6000 characters and tag values up to 8000 (``mlflow.utils.validation``). A config
key or value outside those limits would make the whole ``log_batch`` fail, so every key and value
a job logs passes through ``safe_key`` and ``safe_value`` first.
"""

import re
import urllib.parse

MAX_KEY_LENGTH = 250
MAX_PARAM_LENGTH = 6000
MAX_TAG_LENGTH = 8000
TRUNCATION_MARKER = "...[truncated]"
REDACTED = "[redacted]"
UNSAFE_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_\-./ ]")
# Config keys whose values are credentials wherever they appear (``tracking.password``).
SECRET_KEY_PATTERN = re.compile(r"password|passwd|secret|token|api[_-]?key|credential",
                                re.IGNORECASE)
# The password part of scheme://user:password@host anywhere in a text.
URI_PASSWORD_PATTERN = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s:/@]+):[^\s@/]+@")


def safe_key(key):
    """Replace each character MLflow rejects in a key with ``_`` and cut it to 250 characters."""
    key = UNSAFE_KEY_CHARACTERS.sub("_", str(key)) or "_"
    return key[:MAX_KEY_LENGTH]


def safe_value(value, limit):
    """Return ``value`` as a string of at most ``limit`` characters, marked when cut."""
    text = str(value)
    if len(text) <= limit:
        return text
    return text[:limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def redact_uri(uri):
    """Return ``uri`` with the password of ``user:password@host`` replaced by [redacted]."""
    try:
        parts = urllib.parse.urlsplit(str(uri))
    except ValueError:
        return str(uri)
    if parts.password is None:
        return str(uri)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:{REDACTED}@{host}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def redact_text(text):
    """Return ``text`` with the password of every ``scheme://user:password@`` redacted."""
    return URI_PASSWORD_PATTERN.sub(rf"\1:{REDACTED}@", text)


def redact_value(key, value):
    """Return ``value`` with credentials removed, judged by the key's name and a URI's password."""
    if SECRET_KEY_PATTERN.search(str(key)):
        return REDACTED
    if isinstance(value, str) and "@" in value and "://" in value:
        return redact_uri(value)
    return value


def safe_params(params):
    """Return {key: value} ready for MLflow: keys fixed, values redacted and truncated.

    Two keys that become equal after fixing keep distinct names by a numbered suffix, so no value
    is lost or replaced by another.
    """
    safe = {}
    for key, value in params.items():
        name = safe_key(key)
        suffix = 2
        while name in safe:
            name = safe_key(f"{safe_key(key)}_{suffix}")
            suffix += 1
        safe[name] = safe_value(redact_value(key, value), MAX_PARAM_LENGTH)
    return safe


def safe_tags(tags):
    """Return {key: value} ready for MLflow tags, like ``safe_params`` with the tag limit."""
    return {safe_key(key): safe_value(redact_value(key, value), MAX_TAG_LENGTH)
            for key, value in tags.items()}
