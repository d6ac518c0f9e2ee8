// `visible` events (`@dom.on("visible", selector)`): each element matching a selector a
// listener was registered for dispatches a bubbling `visible` DOM event whenever it comes
// into the viewport (an IntersectionObserver), elements added later included (a
// MutationObserver), so the loader's delegated listeners deliver it like any other event.

const selectors = new Set();
let intersections = null;

/** Start sending `visible` events for elements matching `selector`, now and later. */
export function watchVisible(selector) {
  if (!selector || selectors.has(selector)) return;
  selectors.add(selector);
  if (!intersections) {
    intersections = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          entry.target.dispatchEvent(new CustomEvent("visible", { bubbles: true }));
        }
      }
    });
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) if (node instanceof Element) observeIn(node);
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  for (const el of document.querySelectorAll(selector)) intersections.observe(el);
}

/** Observe `node` and what is in it, where they match a watched selector (observing an
 *  element twice changes nothing). */
function observeIn(node) {
  for (const selector of selectors) {
    if (node.matches(selector)) intersections.observe(node);
    for (const el of node.querySelectorAll(selector)) intersections.observe(el);
  }
}
