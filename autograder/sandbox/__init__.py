"""Running student code in a sandbox: see :mod:`.isolation` (what it sees, who it runs as), :mod:`.session`
(deadlines, budget, restarts) and :mod:`.worker` (the host process inside, and its protocol)."""

from .session import Limits, Sandbox, SandboxRun, probe_bwrap, sandbox_status

__all__ = ["Limits", "Sandbox", "SandboxRun", "probe_bwrap", "sandbox_status"]
