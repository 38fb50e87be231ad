"""Configuration of the student's JupyterLab that ``make lab`` starts (on the config path, beside the user's own).

A student sees the assignment, not the course's machinery: nbgrader's
instructor tools (Formgrader, Create Assignment, the course and assignment
lists of the exchange) are off, here on the server and in
``labconfig/page_config.json`` in the browser; nbgrader's Validate button
stays. The news pop-up and update checks are off too (the Lab may be
offline). And a saved notebook keeps a text note in place of each interactive
widget: its widgets live only in the running kernel, so reopened they could
only say "Error displaying widget: model not found". Notebooks open with
the metadata their kernel gives them, so that opening one does not mark it
unsaved.
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


def with_the_kernels_metadata(notebook, kernel_spec, language_info):
    """Give ``notebook`` (a dict) the kernel metadata the Lab writes into it once its kernel has started.

    The Lab sets ``kernelspec`` and ``language_info`` from the kernel it
    starts and marks the notebook changed when they differ from the file's:
    the release's notebooks hold only ``{"name": "python"}``, so every one
    opened marked unsaved. Only a notebook of the course's kernel is changed.
    """
    metadata = notebook.setdefault("metadata", {})
    if metadata.get("kernelspec", {}).get("name", "python3") != "python3":
        return
    metadata["kernelspec"] = {"display_name": kernel_spec.display_name, "language": kernel_spec.language,
                              "name": "python3"}
    metadata["language_info"] = dict(language_info)


def _student_contents_manager():
    """The server's contents manager, handing out notebooks with their kernel's metadata (see above)."""
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

    class StudentContentsManager(AsyncLargeFileManager):
        _kernel = None

        def _kernel_metadata(self):
            if StudentContentsManager._kernel is None:
                from ipykernel.ipkernel import IPythonKernel  # what the kernel reports (its kernel_info reply)
                from jupyter_client.kernelspec import KernelSpecManager

                spec = KernelSpecManager().get_kernel_spec("python3")
                StudentContentsManager._kernel = (spec, IPythonKernel.language_info)
            return StudentContentsManager._kernel

        async def get(self, path, content=True, type=None, format=None, **kwargs):
            model = await super().get(path, content=content, type=type, format=format, **kwargs)
            if content and model.get("type") == "notebook" and isinstance(model.get("content"), dict):
                try:
                    with_the_kernels_metadata(model["content"], *self._kernel_metadata())
                except Exception as error:  # noqa: BLE001 (the notebook opens as it is, only marked unsaved)
                    self.log.warning("cannot give %s its kernel's metadata: %s", path, error)
            return model

    return StudentContentsManager


c = get_config()  # noqa: F821 (defined by the config loader)
c.ServerApp.contents_manager_class = _student_contents_manager()
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
