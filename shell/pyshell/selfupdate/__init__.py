"""Signed updates for installed apps: how an installed app updates itself.

The runtime half ships in installed apps: ``feed`` reads and checks a signed feed and the
files it lists, ``download`` fetches them from the declared site only, with resume,
``layout`` keeps versions side by side behind one pointer, applied and rolled back
atomically, ``service.check`` puts the three together for one background check, and
``updater`` runs it while the app runs and keeps the status the app's
``pyshell.updates`` reads (that name is the app-side module's, hence this package's). The
tooling half (``keys``: the signing key pair) stays with the ``pyshell`` command, and so
does ``pyshell build --target update``, which writes the feed.
"""
