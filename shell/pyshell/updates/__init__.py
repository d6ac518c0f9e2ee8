"""Signed updates for installed apps.

The runtime half (``feed``: reading and checking a signed feed and the files it lists;
``layout``: versions side by side behind one pointer, applied and rolled back atomically)
ships in installed apps. The tooling half (``keys``: the signing key pair) stays with the
``pyshell`` command, and so does ``pyshell build --target update``, which writes the feed.
"""
