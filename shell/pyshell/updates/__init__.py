"""Signed updates for installed apps.

The runtime half ships in installed apps: ``feed`` reads and checks a signed feed and the
files it lists, ``download`` fetches them from the declared site only, with resume, and
``layout`` keeps versions side by side behind one pointer, applied and rolled back
atomically. The tooling half (``keys``: the signing key pair) stays with the
``pyshell`` command, and so does ``pyshell build --target update``, which writes the feed.
"""
