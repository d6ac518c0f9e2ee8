"""``pyshell build``: an app turned into what its users install.

``service.build`` stages everything in a temporary folder beside ``dist/`` and moves the
finished artifacts into place at the end, so a failed build leaves nothing half-written.
Each packaging format is one module in ``targets/`` plus a line in ``targets.TARGETS``.
"""
