"""Open one URL in WebKitGTK (Debian's WebKit2 4.1 through PyGObject) with a persistent
profile folder, until SIGTERM: the web build's test in a WebKit engine, no driver needed
(the page reports to the test's own server). Run with the system's python3."""

import signal
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

url, profile = sys.argv[1], sys.argv[2]
data = WebKit2.WebsiteDataManager(base_data_directory=f"{profile}/data",
                                  base_cache_directory=f"{profile}/cache")
context = WebKit2.WebContext.new_with_website_data_manager(data)
view = WebKit2.WebView.new_with_context(context)
window = Gtk.Window()
window.set_default_size(800, 600)
window.add(view)
window.connect("destroy", Gtk.main_quit)
window.show_all()
view.load_uri(url)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, Gtk.main_quit)
Gtk.main()
