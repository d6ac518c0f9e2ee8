// `el.html = markup` from Python: make the element's children look like the markup while
// keeping the nodes that are already there, so that what the user is doing survives a
// re-render: focus, the caret and selection, scroll positions and typed values.
//
// The markup is parsed inert in a <template> (scripts in it never run, as with innerHTML).
// New children are matched to old ones among siblings: by id, then by data-id (with the
// same tag; a data-id repeated among siblings, as when a row's controls all carry the row's
// id, is told apart by the class attribute), then, for nodes without a key, the same tag
// (or text) at the same position. A match is updated in place (attributes, then its own
// children); matched keyed nodes are moved, not recreated; what is left unmatched is
// removed, and what has no match is inserted.
//
// Form state: an input's live `value`, `checked` and an option's `selected` are the user's
// until the markup itself changes the attribute (`value`, `checked`, `selected`) compared
// with the markup before: re-rendering the same markup keeps what was typed or ticked;
// rendering a different value sets it. A new element takes the markup's state.

/** Replace `parent`'s children with `html`, morphing instead of rebuilding. `prepare`, if
 *  given, sees the parsed markup while it is still inert (nothing in it loaded yet). */
export function morph(parent, html, prepare = null) {
  const template = document.createElement("template");
  template.innerHTML = html;
  prepare?.(template.content);
  const kept = saveState(parent);
  morphChildren(parent, template.content);
  restoreState(kept);
}

function baseKey(node) {
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  if (node.id) return `${node.tagName}#${node.id}`;
  const dataId = node.getAttribute("data-id");
  return dataId === null ? null : `${node.tagName}@${dataId}`;
}

/** The key function for one set of siblings, old and new. A key that repeats on either side
 *  (a row's data-id carried by the controls in it) is told apart by the class attribute. */
function keyer(...sides) {
  const repeated = new Set();
  for (const nodes of sides) {
    const seen = new Set();
    for (const key of Array.from(nodes, baseKey)) {
      if (key !== null && seen.has(key)) repeated.add(key);
      seen.add(key);
    }
  }
  return (node) => {
    const key = baseKey(node);
    return key !== null && repeated.has(key) ? `${key}.${node.getAttribute("class") ?? ""}` : key;
  };
}

/** Keys that appear once among `nodes` -> their node (a key still repeated is no key). */
function uniqueKeys(nodes, keyOf) {
  const found = new Map();
  for (const node of nodes) {
    const key = keyOf(node);
    if (key !== null) found.set(key, found.has(key) ? null : node);
  }
  for (const [key, node] of found) if (node === null) found.delete(key);
  return found;
}

function sameKind(a, b) {
  return a.nodeType === b.nodeType && a.nodeName === b.nodeName;
}

function morphChildren(live, next) {
  const wanted = [...next.childNodes];
  const keyOf = keyer(live.childNodes, wanted);
  const wantedKeys = uniqueKeys(wanted, keyOf);
  // Keyed nodes the markup no longer has go first, so that the rest need not move.
  const anyKeys = new Set(wanted.map(keyOf));
  for (const node of [...live.childNodes]) {
    const key = keyOf(node);
    if (key !== null && !anyKeys.has(key)) node.remove();
  }
  const liveKeys = uniqueKeys(live.childNodes, keyOf);
  let cursor = live.firstChild;
  for (const want of wanted) {
    const key = keyOf(want);
    let match = null;
    if (wantedKeys.has(key)) {
      match = liveKeys.get(key) ?? null;
    } else if (cursor && sameKind(cursor, want) && !wantedKeys.has(keyOf(cursor))) {
      match = cursor;
    }
    if (match === null) {
      live.insertBefore(want, cursor);
      continue;
    }
    if (match === cursor) cursor = cursor.nextSibling;
    else move(live, match, cursor);
    morphNode(match, want);
  }
  while (cursor) {
    const stale = cursor;
    cursor = cursor.nextSibling;
    stale.remove();
  }
}

/** Move a node among its siblings; moveBefore keeps focus and state where the engine has it. */
function move(parent, node, before) {
  if (parent.moveBefore) parent.moveBefore(node, before);
  else parent.insertBefore(node, before);
}

// Live state that the markup sets only when it changes the attribute (see the top).
// An input's `value` property is its attribute already for these types.
const VALUE_IS_ATTRIBUTE = new Set(["checkbox", "radio", "hidden", "submit", "reset", "button",
                                    "image", "file"]);

function liveState(el) {
  if (el instanceof HTMLOptionElement) return ["selected"];
  if (!(el instanceof HTMLInputElement)) return [];
  return VALUE_IS_ATTRIBUTE.has(el.type) ? ["checked"] : ["value", "checked"];
}

function morphNode(live, want) {
  if (live.nodeType !== Node.ELEMENT_NODE) {
    if (live.nodeValue !== want.nodeValue) live.nodeValue = want.nodeValue;
    return;
  }
  const changed = liveState(live).filter((a) => live.getAttribute(a) !== want.getAttribute(a));
  for (const { name } of [...live.attributes]) {
    if (!want.hasAttribute(name)) live.removeAttribute(name);
  }
  // `loading` first: a lazy image must know it is lazy before its new src is set.
  const attributes = [...want.attributes].sort((a, b) => (b.name === "loading") - (a.name === "loading"));
  for (const { name, value } of attributes) {
    if (live.getAttribute(name) !== value) live.setAttribute(name, value);
  }
  for (const attr of changed) {
    live[attr] = attr === "value" ? want.getAttribute(attr) ?? "" : want.hasAttribute(attr);
  }
  if (live instanceof HTMLTextAreaElement) {
    if (live.defaultValue !== want.defaultValue) live.value = live.defaultValue = want.defaultValue;
  } else if (live instanceof HTMLTemplateElement) {
    live.content.replaceChildren(want.content);
  } else {
    morphChildren(live, want);
  }
}

/** Focus, selection and scroll positions under `parent`, to put back if a move lost them. */
function saveState(parent) {
  const active = document.activeElement;
  const focus = active && active !== document.body && parent.contains(active) ? active : null;
  let selection = null;
  try {
    if (focus && typeof focus.selectionStart === "number") {
      selection = [focus.selectionStart, focus.selectionEnd, focus.selectionDirection, focus.value];
    }
  } catch { /* inputs without a selection (checkbox, number) */ }
  const scrolled = [parent, ...parent.querySelectorAll("*")]
    .filter((el) => el.scrollTop || el.scrollLeft)
    .map((el) => [el, el.scrollTop, el.scrollLeft]);
  return { focus, selection, scrolled };
}

function restoreState({ focus, selection, scrolled }) {
  if (focus?.isConnected && document.activeElement !== focus) {
    focus.focus({ preventScroll: true });
    if (selection && focus.value === selection[3]) focus.setSelectionRange(...selection.slice(0, 3));
  }
  for (const [el, top, left] of scrolled) {
    if (!el.isConnected) continue;
    if (el.scrollTop !== top) el.scrollTop = top;
    if (el.scrollLeft !== left) el.scrollLeft = left;
  }
}
