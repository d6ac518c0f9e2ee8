// Baseline for the start-up benchmark: raw loadPyodide + runPython("1+1") in a bare page,
// from the same runtime files and server the app uses, on the page's own thread.
const t0 = performance.now();
const { loadPyodide } = await import("/_pyshell/runtime/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: new URL("/_pyshell/runtime/", location.href).href });
pyodide.runPython("1+1");
document.body.dataset.done = String(performance.now() - t0);
document.title = "done";
