"""JupyterHub for one or several nbgrader courses on one machine, with the machine's Linux users.

Run as root (PAM and LocalProcessSpawner switch to each user): ``jupyterhub -f jupyterhub_config.py``.
Everything course-specific is in ``courses.toml`` (beside this file, or the file ``COURSE_HUB_COURSES`` names):
the nbgrader exchange's folder and, per course, its course root and the Linux account that grades it. Who
belongs to a course is read from the Linux groups ``nbgrader-<course>`` (students) and ``formgrade-<course>``
(instructor and TAs) when the hub starts: add people with ``gpasswd -a NAME nbgrader-<course>``, then restart
the hub (running servers keep running). See README.md in this folder.
"""

import grp
import os
import pwd
import stat
import sys
import tomllib
from pathlib import Path

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
COURSES_FILE = Path(os.environ.get("COURSE_HUB_COURSES", HERE / "courses.toml"))
SETTINGS = tomllib.loads(COURSES_FILE.read_text(encoding="utf-8"))
COURSES = SETTINGS.get("courses", {})
EXCHANGE = Path(SETTINGS["hub"]["exchange"])
#: The nbgrader configuration every single-user server and formgrader reads (the exchange, the course plugin).
NBGRADER_CONFIG_DIR = HERE / "nbgrader"
#: The environment's commands first on every server's PATH: nbgrader runs `alembic` (the gradebook) from PATH.
PATH = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "/usr/bin:/bin")])
#: The proxy make setup installs (configurable-http-proxy from npm, package-lock.json); else the one on PATH.
PROXY = HERE.parents[2] / ".venv" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
if PROXY.exists():
    c.ConfigurableHTTPProxy.command = [str(PROXY)]


def members(group):
    """The Linux group's members (``/etc/group``; users whose primary group it is are not listed there)."""
    try:
        return sorted(grp.getgrnam(group).gr_mem)
    except KeyError:
        return []


def student_group(course):
    return f"nbgrader-{course}"


def grader_group(course):
    return f"formgrade-{course}"


# -- the hub's own files (its database, the cookie secret): root's alone, outside the repository ---------------
STATE = Path(SETTINGS["hub"].get("state", "/srv/jupyterhub"))
STATE.mkdir(parents=True, exist_ok=True, mode=0o700)
STATE.chmod(0o700)
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# -- who may log in: PAM with the machine's passwords, members of a course's groups only ----------------------
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {group for course in COURSES
                                     for group in (student_group(course), grader_group(course))}
# The hub's groups mirror the Linux ones: nbgrader's JupyterHubAuthPlugin reads a user's courses from them.
c.JupyterHub.load_groups = {group: {"users": members(group)} for group in c.PAMAuthenticator.allowed_groups}
# Admins manage the hub (they can act as any user): name them here, never a student.
c.Authenticator.admin_users = set(SETTINGS["hub"].get("admin_users", []))

# -- each user's server: their own Linux account, in a home no one else can read ------------------------------
c.JupyterHub.spawner_class = "localprocess"
# The hub's own interpreter, which has nbgrader and jupyterhub: one environment to install and upgrade.
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": PATH,
    # Where nbgrader finds this hub's exchange and course plugin (nbgrader/nbgrader_config.py).
    "JUPYTER_CONFIG_PATH": str(NBGRADER_CONFIG_DIR),
    "COURSE_HUB_EXCHANGE": str(EXCHANGE),
    # nbgrader/nbgrader_config.py turns the course plugin on in users' servers (not in formgraders).
    "COURSE_HUB_USER_SERVER": "1",
}


def private_home(spawner):
    """Make the user's home theirs alone (mode 700) before their server starts.

    Debian's adduser creates homes readable by everyone (0755): a student's fetched assignment, answers and
    feedback would be readable by every classmate logged in to the same machine.
    """
    entry = pwd.getpwnam(spawner.user.name)
    home = Path(entry.pw_dir)
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)


c.Spawner.pre_spawn_hook = private_home

# -- the exchange: root-owned, writable by all, sticky (no one removes another's files) -----------------------
# nbgrader creates each course's folders inside it as the instructor releases: outbound readable by all,
# inbound writable but not listable by students (mode 733), so a student cannot see or copy another's submission.
EXCHANGE.mkdir(parents=True, exist_ok=True)
os.chown(EXCHANGE, 0, 0)
EXCHANGE.chmod(stat.S_ISVTX | 0o777)

# -- each course's formgrader: a hub service run as the course's grader account ------------------------------
services, roles = [], []
for port, (course, settings) in enumerate(sorted(COURSES.items()), start=SETTINGS["hub"].get("formgrader_port", 9990)):
    if "grader" not in settings:
        continue  # a course graded elsewhere: its students still fetch and submit through this hub
    services.append({
        "name": course,
        "url": f"http://127.0.0.1:{port}",
        "command": [sys.executable, "-m", "jupyterhub.singleuser", "--ServerApp.root_dir", settings["root"]],
        "user": settings["grader"],
        "cwd": settings["root"],
        "oauth_no_confirm": True,
        # The hub exits when a service it manages does not answer in time (30 s by default). A formgrader is a whole
        # Jupyter server: on a busy machine (CI's suite saw it) it needed longer than that to start.
        "timeout": SETTINGS["hub"].get("formgrader_start_timeout", 120),
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/formgrader",
            "PATH": PATH,
            "JUPYTER_CONFIG_PATH": str(NBGRADER_CONFIG_DIR),
            "COURSE_HUB_EXCHANGE": str(EXCHANGE),
            "HOME": pwd.getpwnam(settings["grader"]).pw_dir,
        },
    })
    # Only the course's instructor and TAs may open it: everyone else gets 403 from the service itself.
    roles.append({"name": grader_group(course), "groups": [grader_group(course)],
                  "scopes": [f"access:services!service={course}"]})
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles + [
    # A user's server may read its user's groups (nbgrader's JupyterHubAuthPlugin asks the hub for them),
    # besides what a server may do by default.
    {"name": "server", "scopes": ["users:activity!user", "access:servers!server", "read:users:groups!user",
                                  "read:users:name!user"]},
]
