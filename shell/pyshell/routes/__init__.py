"""The app server's routes, one module per area; ``server`` puts them in one table.

- ``page``: the app's index.html, with what the page is told (``contract.BootConfig``);
- ``log``: the app's print() and tracebacks, to the terminal;
- ``files``: the file service (host files inside grants), over HTTP and a WebSocket;
- ``grantfiles``: files of grants at the URLs ``pyshell.files.url`` hands out;
- ``thumbs``: thumbnails the page made, kept for the next launch;
- ``dialogs``: native file dialogs, whose picks become grants;
- ``links``: web addresses the app opens in the user's browser (open-urls);
- ``clipboard``: the system clipboard, as far as the app declared it;
- ``lifecycle``: the page's word that the app started, and its answer to a close;
- ``resume``: what the main window shows, kept for the next launch's first paint;
- ``tray``: the app's tray icon, as far as it declared one;
- ``windows``: the app's other windows, and the relay between their pages and the main one;
- ``updates``: an installed app's update status, a check now, the restart into one;
- ``snapshots``: the app's start-up snapshots, stored and restored;
- ``dev``: the `pyshell dev` reload channel (only when the launcher passes one);
- ``assets``: files served as they are (runtime, wheels, page code, the app's ui/); last,
  since the app's ui/ folder answers every path no other route took.

Every route sits behind ``guard``: none of them checks Host, session or token itself,
except the WebSockets, whose token is their first message.
"""
