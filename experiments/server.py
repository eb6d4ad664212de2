"""Start and stop an MLflow tracking server for a team, backed by PostgreSQL.

    python experiments/server.py start --root DIR [--host 127.0.0.1] [--port 5000]
        [--db-port 5432] [--database-uri postgresql://...] [--auth] [--public-names NAMES]
    python experiments/server.py stop --root DIR

``start`` runs a PostgreSQL server of its own in DIR/postgres (unless ``--database-uri`` names
an existing database), then ``mlflow server`` with proxied artifacts in DIR/artifacts, so workers
on other machines need no shared disk. It waits until GET /health responds, writes
DIR/server.json with the PIDs, ports and tracking URI, prints ``tracking.uri=...`` and exits,
leaving both servers running. Logs go to DIR/logs/.

A team server listens on every interface with ``--host 0.0.0.0``. MLflow 3.x rejects requests
whose Host header it does not know (DNS rebinding protection) and browser requests from origins
it does not know (CORS), so ``--public-names`` lists the names that clients put in their
tracking URI. It defaults to this machine's host name and fully qualified name when the server
listens beyond the loopback interface.

``--auth`` serves MLflow's basic-auth app. The admin is MLFLOW_TRACKING_USERNAME with the
password MLFLOW_TRACKING_PASSWORD, the same variables the MLflow client reads. The admin adds
team members through MLflow's /signup page or its users REST API.

The start and stop steps are the functions ``start_servers`` and ``stop_servers``.
"""

import argparse
import contextlib
import glob
import importlib.util
import ipaddress
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HEALTH_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 30.0
# A Unix socket path longer than this does not fit in sockaddr_un on Linux.
MAX_SOCKET_PATH_BYTES = 107
# MLflow 3.17.2 rejects a basic-auth admin password shorter than this
# (mlflow.utils.validation._validate_password).
MIN_AUTH_PASSWORD_LENGTH = 12
# Every user may read and log runs into every experiment, so team members share the harness's
# experiment. Only an experiment's creator (who gets MANAGE) and admins may delete or grant.
AUTH_DEFAULT_PERMISSION = "EDIT"
# Host header patterns that MLflow allows by default, kept when names are added.
LOOPBACK_AND_PRIVATE_HOSTS = ("localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*",
                              "[::1]", "[[]::1]:*", "10.*", "192.168.*", "172.1[6-9].*",
                              "172.2?.*", "172.3[01].*")
PSYCOPG2_SCHEME = "postgresql+psycopg2"
# The process started by start_servers in this interpreter, kept so stop_servers can reap it.
STARTED_PROCESSES = {}


class ServerError(Exception):
    """A start or stop that cannot go on; the message is one line naming the value and the fix."""


# ---- folders, ports and files -------------------------------------------------------------


def prepare_root(root):
    """Create DIR with its logs/ and artifacts/ folders and check that it is writable."""
    root = Path(root).resolve()
    try:
        for folder in (root, root / "logs", root / "artifacts"):
            folder.mkdir(parents=True, exist_ok=True)
        probe = root / ".write-check"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ServerError(f"--root {root} is not a writable folder ({error.strerror}); "
                          f"choose a folder you can write to") from error
    return root


def check_port_free(host, port, flag):
    """Raise ServerError when nothing can bind ``host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the servers do, so a port left in TIME_WAIT by a stopped server counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServerError(f"{flag} {port} on {host} is not free ({error.strerror}); "
                              f"stop what uses it or choose another port") from error


def write_secret_file(path, text):
    """Write ``text`` to ``path`` readable by its owner only (mode 600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


def read_record(root):
    path = root / "server.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def process_state(pid):
    """Return (state, process group) of ``pid`` from /proc, or None when it does not exist."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[2])


def pid_alive(pid):
    """Return whether ``pid`` runs, reaping it first when it is a child of this process.

    A zombie counts as gone: it has exited and waits only for its parent to reap it.
    """
    process = STARTED_PROCESSES.get(pid)
    if process is not None:
        return process.poll() is None
    state = process_state(pid)
    return state is not None and state[0] != "Z"


def live_group_members(pgid):
    """Return the PIDs of the processes in group ``pgid`` that have not exited."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            state = process_state(int(entry.name))
            if state is not None and state[1] == pgid and state[0] != "Z":
                members.append(int(entry.name))
    return members


def wait_until(condition, timeout):
    """Poll ``condition`` until it returns True; return False if ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# ---- PostgreSQL ---------------------------------------------------------------------------


def find_postgres_bindir():
    """Return the folder with initdb, pg_ctl and postgres, from pg_config or Debian's layout."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    # Debian's pg_config belongs to libpq-dev and may name /usr/bin, which has no initdb.
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise ServerError("PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
                      "`apt-get install postgresql` or pass --database-uri")


def as_postgres_user(command):
    """Prefix ``command`` to run as the ``postgres`` system user when this process is root.

    PostgreSQL refuses to run as root, because a database superuser could then take over the
    machine through server-side functions. Its data folder is therefore owned by ``postgres``.
    """
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def run_checked(command, step, log_path=None, **kwargs):
    """Run ``command`` and raise ServerError with its last output line if it fails."""
    completed = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines() or ["no output"]
        where = f"; see {log_path}" if log_path else ""
        raise ServerError(f"{step} failed: {lines[-1]}{where}")
    return completed


def hand_to_postgres_user(paths):
    if os.geteuid() != 0:
        return
    for path in paths:
        shutil.chown(path, "postgres", "postgres")
    # Fails when a parent of DIR is private to root (mode 700, as pytest's temp folders are).
    reachable = subprocess.run(as_postgres_user(["test", "-w", str(paths[0])]))
    if reachable.returncode != 0:
        raise ServerError(f"the postgres system user cannot write {paths[0]}; make every parent "
                          f"folder of --root traversable (chmod o+x) or choose another --root")


def init_cluster(root, bindir):
    """Run initdb into DIR/postgres on first use, with a generated superuser password.

    A password rather than trust auth: any local user can open a TCP connection to
    127.0.0.1, and on a team machine that must not make them the database superuser. The
    password sits in DIR/pgpass (mode 600), the file libpq reads through PGPASSFILE, so it
    never shows in a URI, a command line or server.json.
    """
    data = root / "postgres"
    pgpass = root / "pgpass"
    if (data / "PG_VERSION").is_file():
        if not pgpass.is_file():
            raise ServerError(f"{data} exists but {pgpass} with its password is missing; "
                              f"restore it or remove {data} to start with an empty database")
        return

    data.mkdir(mode=0o700, exist_ok=True)
    hand_to_postgres_user([data])
    password = secrets.token_urlsafe(24)
    write_secret_file(pgpass, f"127.0.0.1:*:*:postgres:{password}\n")
    # initdb reads the password from a file of its own user's, removed right after.
    password_file = root / "initdb-password"
    write_secret_file(password_file, password + "\n")
    hand_to_postgres_user([password_file])
    try:
        run_checked(as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                                      f"--pwfile={password_file}", "-E", "UTF8"]), "initdb")
    finally:
        password_file.unlink()


def start_postgres(root, bindir, db_port):
    """Start PostgreSQL on 127.0.0.1:db_port with its socket in DIR/socket; return its PID."""
    data = root / "postgres"
    socket_dir = root / "socket"
    socket_dir.mkdir(exist_ok=True)
    socket_path = socket_dir / f".s.PGSQL.{db_port}"
    if len(str(socket_path).encode()) > MAX_SOCKET_PATH_BYTES:
        raise ServerError(f"the socket path {socket_path} is longer than "
                          f"{MAX_SOCKET_PATH_BYTES} bytes; choose a shorter --root")
    hand_to_postgres_user([socket_dir])

    log_path = root / "logs" / "postgres.log"
    log_path.touch()
    hand_to_postgres_user([log_path])
    # pg_ctl hands -o to a shell, hence the quoting of the socket folder.
    options = (f"-c listen_addresses=127.0.0.1 -p {db_port} "
               f"-c unix_socket_directories={shlex.quote(str(socket_dir))}")
    run_checked(as_postgres_user([str(bindir / "pg_ctl"), "start", "-D", str(data), "-w",
                                  "-t", "60", "-l", str(log_path), "-o", options]),
                "pg_ctl start", log_path)
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def postgres_env(root):
    return {**os.environ, "PGPASSFILE": str(root / "pgpass")}


def create_databases(root, bindir, db_port, names):
    """Create each database in ``names`` that does not exist yet."""
    client = [str(bindir / "psql"), "-h", "127.0.0.1", "-p", str(db_port), "-U", "postgres",
              "-d", "postgres", "-tAc"]
    for name in names:
        query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
        found = run_checked([*client, query], "psql", env=postgres_env(root))
        if found.stdout.strip() != "1":
            run_checked([*client, f'CREATE DATABASE "{name}"'], f"creating database {name}",
                        env=postgres_env(root))


def stop_postgres(data, pid):
    """Stop PostgreSQL with a fast shutdown: open sessions are ended and rolled back."""
    if not pid_alive(pid):
        return
    bindir = find_postgres_bindir()
    run_checked(as_postgres_user([str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast",
                                  "-w", "-t", str(int(STOP_TIMEOUT_SECONDS))]), "pg_ctl stop")
    if not wait_until(lambda: not pid_alive(pid), STOP_TIMEOUT_SECONDS):
        raise ServerError(f"PostgreSQL (PID {pid}) did not exit within "
                          f"{STOP_TIMEOUT_SECONDS:g} s; check {data}/../logs/postgres.log")


# ---- MLflow -------------------------------------------------------------------------------


def database_uri_with_name(uri, name):
    """Return ``uri`` with its database (the URI path) replaced by ``name``."""
    parts = urllib.parse.urlsplit(uri)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def with_psycopg2_driver(uri):
    """Return ``uri`` with the psycopg2 driver named, or raise ServerError if not PostgreSQL.

    SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, but the project's server extra
    installs psycopg2-binary.
    """
    scheme, separator, rest = uri.partition("://")
    if scheme == "postgresql":
        return f"{PSYCOPG2_SCHEME}://{rest}"
    if not separator or scheme.split("+")[0] != "postgresql":
        raise ServerError(f"--database-uri {rest.split('@')[-1]!r} is not a PostgreSQL URI; "
                          f"write it postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
    return uri


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_public_names(host):
    """Return the names clients reach the server by: this machine's when it listens widely."""
    if is_loopback(host):
        return []
    if host not in ("0.0.0.0", "::"):
        return [host]
    return list(dict.fromkeys([socket.gethostname(), socket.getfqdn()]))


def security_options(public_names, port):
    """Return MLflow's --allowed-hosts and --cors-allowed-origins options for ``public_names``.

    MLflow compares the whole Host header, port included, so each name is allowed with and
    without a port. Setting --allowed-hosts replaces MLflow's defaults, so they are kept.
    """
    if not public_names:
        return []
    hosts = [*LOOPBACK_AND_PRIVATE_HOSTS]
    for name in public_names:
        hosts += [name, f"{name}:*"]
    origins = [f"http://{name}:{port}" for name in public_names]
    return ["--allowed-hosts", ",".join(hosts), "--cors-allowed-origins", ",".join(origins)]


def auth_credentials():
    """Return the admin's (username, password) from the MLflow client's variables."""
    username = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if not username or not password:
        raise ServerError("--auth needs the admin's name and password in MLFLOW_TRACKING_USERNAME "
                          "and MLFLOW_TRACKING_PASSWORD; set both and start again")
    if len(password) < MIN_AUTH_PASSWORD_LENGTH:
        raise ServerError(f"MLFLOW_TRACKING_PASSWORD is {len(password)} characters long; MLflow "
                          f"needs at least {MIN_AUTH_PASSWORD_LENGTH} for the admin password")
    # MLflow's basic-auth app imports Flask-WTF (mlflow's [auth] extra) for its CSRF checks.
    if importlib.util.find_spec("flask_wtf") is None:
        raise ServerError("--auth needs the Flask-WTF package, which is missing; install it "
                          "with `pip install 'Flask-WTF<2'`")
    return username, password


def auth_environment(root, database_uri):
    """Write DIR/basic_auth.ini and return the environment MLflow's basic-auth app needs."""
    username, password = auth_credentials()
    config_path = root / "basic_auth.ini"
    config_path.write_text("[mlflow]\n"
                           f"default_permission = {AUTH_DEFAULT_PERMISSION}\n"
                           f"database_uri = {database_uri_with_name(database_uri, 'mlflow_auth')}\n"
                           f"admin_username = {username}\n"
                           "authorization_function = "
                           "mlflow.server.auth:authenticate_request_basic_auth\n")

    # The key signs the UI's CSRF tokens, so it must stay the same across workers and restarts.
    key_path = root / "flask_secret_key"
    if not key_path.is_file():
        write_secret_file(key_path, secrets.token_hex(32))
    # MLflow reads the admin password only to create the admin user, so a later change of
    # MLFLOW_TRACKING_PASSWORD does not change the stored password.
    return {"MLFLOW_AUTH_CONFIG_PATH": str(config_path),
            "MLFLOW_AUTH_ADMIN_USERNAME": username,
            "MLFLOW_AUTH_ADMIN_PASSWORD": password,
            "MLFLOW_FLASK_SERVER_SECRET_KEY": key_path.read_text().strip()}


def mlflow_command(root, host, port, workers, auth, public_names):
    command = [sys.executable, "-m", "mlflow", "server", "--serve-artifacts",
               "--artifacts-destination", str(root / "artifacts"),
               "--host", host, "--port", str(port)]
    if workers:
        command += ["--workers", str(workers)]
    if auth:
        command += ["--app-name", "basic-auth"]
    return command + security_options(public_names, port)


def start_mlflow(root, command, extra_env, database_uri):
    """Start ``command`` in a session of its own, its output to DIR/logs/mlflow.log."""
    env = {**os.environ, **extra_env,
           # Passed in the environment rather than as --backend-store-uri, so a password in a
           # --database-uri does not show in `ps`.
           "MLFLOW_BACKEND_STORE_URI": database_uri,
           "PGPASSFILE": str(root / "pgpass"),
           # Telemetry would send usage data to an outside host. It stays on only when the
           # caller sets MLFLOW_DISABLE_TELEMETRY=false.
           "MLFLOW_DISABLE_TELEMETRY": os.environ.get("MLFLOW_DISABLE_TELEMETRY", "true")}
    with open(root / "logs" / "mlflow.log", "ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                   cwd=root)
    STARTED_PROCESSES[process.pid] = process
    return process


def wait_for_health(process, url, log_path):
    """Poll ``url`` until it returns 200, raising ServerError if the server exits or times out."""
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"mlflow server exited with status {process.returncode} during "
                              f"startup; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise ServerError(f"mlflow server sent no response from {url} within "
                      f"{HEALTH_TIMEOUT_SECONDS:g} s; see {log_path}")


def stop_process_group(pgid):
    """Send SIGTERM to process group ``pgid``, then SIGKILL to what outlives the wait."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return

    def group_gone():
        # Reaps the group leader when this process started it.
        pid_alive(pgid)
        return not live_group_members(pgid)

    if not wait_until(group_gone, STOP_TIMEOUT_SECONDS):
        for pid in live_group_members(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        wait_until(group_gone, STOP_TIMEOUT_SECONDS)
    STARTED_PROCESSES.pop(pgid, None)


# ---- start and stop -----------------------------------------------------------------------


def start_servers(root, host="127.0.0.1", port=5000, db_port=5432, database_uri=None,
                  auth=False, workers=None, public_names=None):
    """Start PostgreSQL (unless ``database_uri`` is given) and mlflow server in the background.

    Returns the record, also written to DIR/server.json, of the PIDs, ports and tracking URI.
    """
    root = prepare_root(root)
    record = read_record(root)
    if record and any(pid_alive(pid) for pid in record["pids"].values() if pid):
        raise ServerError(f"a server from {root} is already running ({record['tracking_uri']}); "
                          f"stop it with `server.py stop --root {root}` first")
    check_port_free(host, port, "--port")
    if auth:
        auth_credentials()
    if public_names is None:
        public_names = default_public_names(host)
    extra_env = {}
    postgres_pid = None

    if database_uri is None:
        bindir = find_postgres_bindir()
        check_port_free("127.0.0.1", db_port, "--db-port")
        init_cluster(root, bindir)
        postgres_pid = start_postgres(root, bindir, db_port)
        try:
            create_databases(root, bindir, db_port, ["mlflow", "mlflow_auth"] if auth
                             else ["mlflow"])
        except ServerError:
            stop_postgres(root / "postgres", postgres_pid)
            raise
        database_uri = f"{PSYCOPG2_SCHEME}://postgres@127.0.0.1:{db_port}/mlflow"
    else:
        database_uri = with_psycopg2_driver(database_uri)

    try:
        if auth:
            extra_env = auth_environment(root, database_uri)
        command = mlflow_command(root, host, port, workers, auth, public_names)
        process = start_mlflow(root, command, extra_env, database_uri)
    except ServerError:
        if postgres_pid:
            stop_postgres(root / "postgres", postgres_pid)
        raise

    client_host = public_names[0] if public_names else host
    record = {"tracking_uri": f"http://{client_host}:{port}", "host": host, "port": port,
              "db_port": db_port if postgres_pid else None, "auth": auth,
              "pids": {"mlflow": process.pid, "postgres": postgres_pid}}
    (root / "server.json").write_text(json.dumps(record, indent=2) + "\n")

    health_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    try:
        wait_for_health(process, f"http://{health_host}:{port}/health",
                        root / "logs" / "mlflow.log")
    except ServerError:
        stop_servers(root)
        raise
    return record


def stop_servers(root):
    """Stop the mlflow server and PostgreSQL recorded in DIR/server.json, waiting for both."""
    root = Path(root).resolve()
    record = read_record(root)
    if record is None:
        raise ServerError(f"no server.json in --root {root}; nothing was started there")
    pids = record["pids"]
    stop_process_group(pids["mlflow"])
    if pids.get("postgres"):
        stop_postgres(root / "postgres", pids["postgres"])
    return record


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start PostgreSQL and mlflow server in the "
                                "background, print the tracking URI and exit")
    stop = commands.add_parser("stop", help="stop the servers recorded in DIR/server.json")
    for sub in (start, stop):
        sub.add_argument("--root", required=True, type=Path,
                         help="folder for the database, artifacts, logs and server.json")
    start.add_argument("--host", default="127.0.0.1",
                       help="interface mlflow server listens on; 0.0.0.0 for a team "
                       "(default: 127.0.0.1)")
    start.add_argument("--port", type=int, default=5000, help="mlflow server port (default 5000)")
    start.add_argument("--db-port", type=int, default=5432,
                       help="port of the PostgreSQL server started here, which listens on "
                       "127.0.0.1 only (default 5432)")
    start.add_argument("--database-uri",
                       help="an existing PostgreSQL database to use instead of starting one; "
                       "with --auth, the database mlflow_auth on the same server must exist")
    start.add_argument("--auth", action="store_true",
                       help="require basic auth; the admin is MLFLOW_TRACKING_USERNAME with "
                       "password MLFLOW_TRACKING_PASSWORD")
    start.add_argument("--workers", type=int,
                       help="uvicorn worker processes (default: MLflow's, 4)")
    start.add_argument("--public-names", type=lambda text: [n for n in text.split(",") if n],
                       help="comma-separated host names or addresses that clients use in "
                       "tracking.uri; MLflow rejects requests for other names. Default: this "
                       "machine's host name and FQDN when --host is not a loopback address")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.command == "start":
            record = start_servers(args.root, args.host, args.port, args.db_port,
                                   args.database_uri, args.auth, args.workers, args.public_names)
            print(f"tracking.uri={record['tracking_uri']}")
        else:
            record = stop_servers(args.root)
            print(f"stopped the server of {record['tracking_uri']}")
    except ServerError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
