"""Configuration of the student's JupyterLab that ``make lab`` starts (on the config path, beside the user's own).

A student sees the assignment, not the course's machinery: nbgrader's
instructor tools (Formgrader, Create Assignment, the course and assignment
lists of the exchange) are off, here on the server and in
``labconfig/page_config.json`` in the browser; nbgrader's Validate button
stays. The news pop-up and update checks are off too (the Lab may be
offline). And a saved notebook keeps a text note in place of each interactive
widget: its widgets live only in the running kernel, so reopened they could
only say "Error displaying widget: model not found".
"""

import warnings

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Stands in for a widget whose output has no text of its own.
WIDGET_NOTE = "[An interactive widget: run this cell again to show it.]"


def widget_views_as_notes(model, **kwargs):
    """Pre-save hook: keep each widget output's text (``text/plain``) and drop its reference to a live widget.

    Parameters
    ----------
    model : dict
        The contents model being saved; a notebook's ``content`` is changed in place.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    for cell in model["content"].get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                data.setdefault("text/plain", WIDGET_NOTE)
    model["content"].get("metadata", {}).pop("widgets", None)


c = get_config()  # noqa: F821 (defined by the config loader)
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
}
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.ContentsManager.pre_save_hook = widget_views_as_notes
# Each server extension re-applies the config to the contents manager, which then warns that this hook replaces
# itself; the warning would be the first thing a student reads in the terminal.
warnings.filterwarnings("ignore", message="Overriding existing pre_save_hook")
