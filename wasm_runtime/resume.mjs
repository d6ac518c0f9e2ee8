// Resume paint, the page's side (resumepaint.py has the host's): the host served what the
// app showed last in place of the static body, which waits in a <template> for the app's
// main() to take over. Until then main()'s writes are held; at the hand-over (main()
// returned or failed, a read of the DOM, or a quarter second after its first write) the
// page morphs itself into the static body and applies them, in one task: the next frame
// shows the app's own render, with what the user typed meanwhile kept.
//
// What the page shows is kept for the next launch: a second after the writes stop, when
// the user types, and when the window closes. Field values go in as attributes, never a
// password's; pyshell's own panels and this run's object and file URLs stay out.
import { lazyImagesIn } from "./lazy.mjs";
import { morph } from "./morph.mjs";

const HAND_OVER_MS = 250;
const PICTURE_MAX = 2 * 1024 * 1024; // the host takes no bigger body there (guard/body.py)

export class Resume {
  /**
   * `url`: where pictures are kept (null: resume paint is off); `apply(ops)`: applies a
   * batch of DOM writes; `ready()`: the app's main() has returned.
   */
  constructor({ url, token, apply, ready }) {
    Object.assign(this, { url, token, apply, ready });
    this.original = document.getElementById("pyshell-original");
    this.held = this.original ? [] : null; // main()'s writes, while the picture shows
    this.touched = new Set(); // fields the user changed meanwhile
    this.handOverTimer = 0;
    this.keepTimer = 0;
    if (this.original) document.documentElement.dataset.pyshellResumed = "";
  }

  get holding() {
    return this.held !== null;
  }

  /** A field the user changed before main() returned: its value survives the hand-over. */
  touch(field) {
    this.touched.add(field);
  }

  hold(ops) {
    this.held.push(ops);
    this.handOverTimer ||= setTimeout(() => this.handOver(), HAND_OVER_MS);
  }

  handOver() {
    if (this.held === null) return;
    const held = this.held;
    this.held = null;
    clearTimeout(this.handOverTimer);
    const typed = [...this.touched].map((el) => [el, el.value, el.checked]);
    morph(document.body, this.original.innerHTML, lazyImagesIn);
    this.original.remove();
    for (const [el, value, checked] of typed) {
      if (!el.isConnected) continue;
      if (el.type === "checkbox" || el.type === "radio") el.checked = checked;
      else el.value = value;
    }
    delete document.documentElement.dataset.pyshellResumed;
    for (const ops of held) this.apply(ops);
  }

  keepSoon() {
    if (!this.url || this.holding || !this.ready()) return;
    clearTimeout(this.keepTimer);
    this.keepTimer = setTimeout(() => this.keep(), 1000);
  }

  /** Send the host a picture of the page now; resolves once it has it (or gave up). */
  keep() {
    clearTimeout(this.keepTimer);
    if (!this.url || this.holding || !this.ready()) return Promise.resolve();
    const body = new Blob([picture()], { type: "text/plain;charset=utf-8" });
    if (body.size > PICTURE_MAX) return Promise.resolve(); // the host keeps none that big
    return fetch(this.url, { method: "POST", headers: { "x-pyshell-token": this.token }, body })
      .catch(() => {});
  }
}

/** The body's markup as the next launch should first show it. */
function picture() {
  const copy = document.body.cloneNode(true);
  const live = document.body.querySelectorAll("input, textarea, select");
  copy.querySelectorAll("input, textarea, select").forEach((field, i) => keepState(live[i], field));
  for (const own of copy.querySelectorAll("#pyshell-error, #pyshell-busy")) own.remove();
  // This run's object and file URLs load nothing in the next one: a picture without them
  // keeps its place (width, height) instead of showing a broken image.
  for (const el of copy.querySelectorAll("[src], [poster]")) {
    for (const name of ["src", "poster"]) {
      const value = el.getAttribute(name);
      if (value?.startsWith("blob:") || value?.includes("/_pyshell/file/")) el.removeAttribute(name);
    }
  }
  return copy.innerHTML;
}

function keepState(field, copy) {
  if (!field) return;
  if (field.type === "password") copy.removeAttribute("value");
  else if (field.type === "checkbox" || field.type === "radio") copy.toggleAttribute("checked", field.checked);
  else if (field.tagName === "TEXTAREA") copy.textContent = field.value;
  else if (field.tagName === "SELECT") {
    [...copy.options].forEach((option, i) => option.toggleAttribute("selected", field.options[i].selected));
  } else copy.setAttribute("value", field.value);
}
