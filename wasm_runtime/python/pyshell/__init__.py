"""pyshell's API inside WebAssembly: ``from pyshell import dom``.

On the host this folder is part of the ``pyshell`` package too, so editors and
host-side unit tests see the same modules.
"""
