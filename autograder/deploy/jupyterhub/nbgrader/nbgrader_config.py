"""nbgrader's settings for everyone on the course hub (the hub points JUPYTER_CONFIG_PATH here).

A course root's own nbgrader_config.py (the repository's, for the grader account) is read after this one.
"""

import os

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

# The hub's exchange (courses.toml's [hub] exchange), which the hub creates root-owned with mode 1777.
c.Exchange.root = os.environ["COURSE_HUB_EXCHANGE"]
# <exchange>/<course>/... and ~/<course>/<assignment>: two courses may release assignments of the same name.
c.Exchange.path_includes_course = True
# A user's courses are their hub groups nbgrader-<course> and formgrade-<course>: a student lists, fetches and
# submits only their own courses' assignments. In a user's server only (jupyterhub_config.py sets
# COURSE_HUB_USER_SERVER there): a formgrader service runs as the grader account, which is no hub user to ask about.
if os.environ.get("COURSE_HUB_USER_SERVER"):
    c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
