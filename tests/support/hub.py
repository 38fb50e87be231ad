"""A throw-away course hub for tests: ``autograder/deploy/jupyterhub/`` run as root with real Linux users.

Everything lives in one folder the test creates (:class:`Machine`): the users' homes, the exchange, the hub's
database and logs, and, when this interpreter is one other users cannot run, a small virtual environment they
can. Nothing outside it changes mode: ``/root`` (pyenv's Python) is opened and closed again by other test
sessions (``support/users.py``), so the hub's users must never depend on it. The users and groups the test
creates carry :data:`TAG` in their GECOS field and are removed, with their processes, by :meth:`Machine.close`;
users and groups that existed before are left alone (a name taken by someone else's account is an error).
"""

import grp
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "autograder" / "deploy" / "jupyterhub"
PROXY = REPO / ".venv" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
#: The GECOS field of every account the test creates: how a later run recognises one a crashed run left.
TAG = "course hub test account"


def reachable_by_others(path):
    """Whether a user other than root can reach ``path`` (every folder on the way traversable by others)."""
    path = Path(path).resolve()
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)


class Machine:
    """The test's accounts and folders on this machine, removed again by :meth:`close`."""

    def __init__(self):
        if os.geteuid() != 0:
            raise AssertionError("the course hub test runs the hub as root (PAM, a server per Linux user): "
                                 "run the suite as root, as CI does")
        if not PROXY.exists():
            raise AssertionError(f"{PROXY} is missing: make setup installs configurable-http-proxy there")
        self.root = Path(tempfile.mkdtemp(prefix="course-hub-test-"))
        self.root.chmod(0o711)  # the users reach their homes and the exchange inside, and list nothing
        self.homes = self.root / "home"
        self.homes.mkdir(mode=0o711)
        self.users, self.groups = [], []
        self.python = self._python_for_everyone()
        #: PATH for the hub and its users: the interpreter's commands first.
        self.path = f"{Path(self.python).parent}:/usr/local/bin:/usr/bin:/bin"

    # -- an interpreter every user can run ----------------------------------------------------------------
    def _python_for_everyone(self):
        """This environment's interpreter if others can run it, else a venv on a copy others can reach.

        The copy is this very interpreter (pyenv's under ``/root``, say), not the system's Python: the same
        patch release as the one the packages were tested with (Debian's 3.11.2 has a regular expression bug
        that breaks soupsieve, so nbconvert, so nbgrader's feedback). The standard library is hard-linked (no
        data copied) and the executable copied with its library path made relative (``$ORIGIN/../lib``).
        The venv (``--without-pip``) adds this environment's site-packages with a ``.pth`` file and links its
        Jupyter configuration and data (which enable nbgrader's server extensions).
        """
        if reachable_by_others(sys.base_prefix) and reachable_by_others(sys.executable):
            return sys.executable
        base = self._copy_of_base_python()
        venv = self.root / "python"
        subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        site_packages = next(Path(sys.prefix, "lib").glob("python3*/site-packages"))
        own = next((venv / "lib").glob("python3*/site-packages"))
        (own / "course_environment.pth").write_text(f"import site; site.addsitedir({str(site_packages)!r})\n")
        for folder in ("etc/jupyter", "share/jupyter"):
            target = venv / folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(Path(sys.prefix) / folder)
        # The environment's commands with this interpreter: nbgrader runs `alembic` from PATH, for one.
        python = venv / "bin" / "python"
        shebang = f"#!{Path(sys.prefix) / 'bin' / 'python'}".encode()
        for script in Path(sys.prefix, "bin").iterdir():
            if script.is_file() and not (venv / "bin" / script.name).exists():
                text = script.read_bytes()
                if text.startswith(shebang + b"\n") or text.startswith(shebang + b"3\n"):
                    copy = venv / "bin" / script.name
                    copy.write_bytes(b"#!" + str(python).encode() + text[text.index(b"\n"):])
                    copy.chmod(0o755)
        return str(python)

    def _copy_of_base_python(self):
        base = Path(sys.base_prefix).resolve()
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        copy = self.root / "python-base"
        stdlib = base / "lib" / version
        for folder, folders, files in os.walk(stdlib):
            if Path(folder) == stdlib and "site-packages" in folders:
                folders.remove("site-packages")
            target = copy / "lib" / version / Path(folder).relative_to(stdlib)
            target.mkdir(parents=True, exist_ok=True)
            for name in files:
                os.link(Path(folder) / name, target / name, follow_symlinks=False)
        for library in (base / "lib").glob("libpython*"):
            os.link(library, copy / "lib" / library.name, follow_symlinks=False)
        executable = Path(sys.executable).resolve()
        binary = executable.read_bytes()
        runpath = str(base / "lib").encode() + b"\0"
        relative = b"$ORIGIN/../lib"
        if runpath in binary:  # a shared libpython found through the ELF RUNPATH: make it the copy's
            if binary.count(runpath) != 1 or len(relative) >= len(runpath):
                raise AssertionError(f"cannot relocate {executable}: run the suite with an interpreter others can reach")
            binary = binary.replace(runpath, relative + b"\0" * (len(runpath) - len(relative)))
        (copy / "bin").mkdir(parents=True)
        python = copy / "bin" / version
        python.write_bytes(binary)
        python.chmod(0o755)
        return python

    # -- accounts ----------------------------------------------------------------------------------------------
    def group(self, name):
        try:
            grp.getgrnam(name)
        except KeyError:
            subprocess.run(["groupadd", name], check=True, capture_output=True)
            self.groups.append(name)
        return name

    def user(self, name, groups=(), password=None, home_mode=0o755):
        """A Linux account with a home in this folder (mode ``home_mode``: adduser's default, open to all)."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            pass
        else:
            if entry.pw_gecos != TAG:
                raise AssertionError(f"the account {name} exists and is not one this test created: not touching it")
            self._remove_user(name)  # left by a run that crashed
        home = self.homes / name
        subprocess.run(["useradd", "--comment", TAG, "--home-dir", str(home), "--create-home", "--shell",
                        "/bin/bash", "--user-group", *(["--groups", ",".join(groups)] if groups else []), name],
                       check=True, capture_output=True)
        self.users.append(name)
        home.chmod(home_mode)
        if password:
            subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True)
        return pwd.getpwnam(name)

    def as_user(self, name, command, **kwargs):
        """Run ``command`` as ``name`` with its groups, in its home, as a login would."""
        entry = pwd.getpwnam(name)
        env = {"HOME": entry.pw_dir, "USER": name, "LOGNAME": name, "PATH": self.path,
               "LANG": "C.UTF-8", **kwargs.pop("env", {})}
        return subprocess.run([shutil.which("setpriv"), f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                               "--init-groups", "--", *map(str, command)], env=env, cwd=kwargs.pop("cwd", entry.pw_dir),
                              capture_output=True, text=True, **kwargs)

    def _remove_user(self, name):
        uid = pwd.getpwnam(name).pw_uid
        processes = [process for process in psutil.process_iter(["uids"]) if process.info["uids"]
                     and process.info["uids"].real == uid]
        for process in processes:  # servers and kernels the hub started for this test's account
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(processes, timeout=10)
        subprocess.run(["userdel", name], capture_output=True)
        try:
            grp.getgrnam(name)
            subprocess.run(["groupdel", name], capture_output=True)
        except KeyError:
            pass

    def close(self):
        for name in reversed(self.users):
            self._remove_user(name)
        for name in reversed(self.groups):
            subprocess.run(["groupdel", name], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class Hub:
    """``jupyterhub`` with the deploy folder's configuration, on free ports of 127.0.0.1."""

    def __init__(self, machine, courses_toml):
        self.machine = machine
        self.state = machine.root / "hub"
        self.state.mkdir(mode=0o700)
        (self.state / "courses.toml").write_text(courses_toml, encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = self.state / "jupyterhub_config.py"
        # The deploy configuration as it is (which finds the proxy make setup installed), plus what a test
        # machine needs: local ports, the hub's files in the test's folder (courses.toml's state).
        config.write_text(f"""c = get_config()  # noqa: F821
load_subconfig({str(DEPLOY / 'jupyterhub_config.py')!r})  # noqa: F821
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
# Two cores shared with other tests: a server can take a while to start.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
""", encoding="utf-8")
        self.config = config
        self.log = open(self.state / "jupyterhub.log", "w")
        env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "NBGRADER"))}
        env["COURSE_HUB_COURSES"] = str(self.state / "courses.toml")
        self.process = subprocess.Popen([machine.python, "-m", "jupyterhub", "-f", str(config)], cwd=self.state,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the hub did not answer within {timeout} s:\n{self.log_text()}")

    def wait_for_service(self, name, token, timeout=120):
        """Until the service answers its users (the hub starts it with itself, but it takes its time)."""
        deadline = time.monotonic() + timeout
        url = f"{self.url}/services/{name}/formgrader/api/status"
        while time.monotonic() < deadline:
            try:
                response = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=10)
                if response.status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the service {name} did not answer within {timeout} s:\n{self.log_text()}")

    def log_text(self):
        self.log.flush()
        return (self.state / "jupyterhub.log").read_text(errors="replace")[-6000:]

    def login(self, name, password):
        """A browser's session after the hub's login form (PAM checks the password); None when refused."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30)
        response = session.post(f"{self.url}/hub/login", timeout=60, allow_redirects=False,
                                data={"username": name, "password": password, "_xsrf": session.cookies["_xsrf"]})
        return session if response.status_code == 302 and "jupyterhub-hub-login" in session.cookies else None

    def token(self, session, name):
        """An API token the logged-in user asks the hub for, as from the hub's Token page."""
        response = session.post(f"{self.url}/hub/api/users/{name}/tokens", timeout=60,
                                headers={"X-XSRFToken": session.cookies["_xsrf"]},
                                json={"note": "course hub test", "expires_in": 3600})
        assert response.status_code == 201, (response.status_code, response.text)
        return response.json()["token"]

    def api(self, method, path, token, **kwargs):
        kwargs.setdefault("timeout", 300)
        return requests.request(method, f"{self.url}{path}", headers={"Authorization": f"token {token}"}, **kwargs)

    def start_server(self, name, token):
        response = self.api("POST", f"/hub/api/users/{name}/server", token)
        assert response.status_code in (201, 202), (response.status_code, response.text)

    def wait_for_server(self, name, token, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/hub/api/users/{name}", token).json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            if not server.get("pending") and not server:
                raise AssertionError(f"{name}'s server stopped:\n{self.log_text()}")
            time.sleep(0.5)
        raise AssertionError(f"{name}'s server was not ready within {timeout} s:\n{self.log_text()}")

    def stop(self):
        """Stop the hub, which stops the users' servers and the services it started, then the proxy."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the hub and the proxy it started
                self.process.wait()
        self.log.close()


def password():
    return secrets.token_urlsafe(12)
