// Lazy loading by default for grant files (`files.url`): an <img> whose src is a grant URL
// gets `loading="lazy"` unless the app chose `loading` itself, so a grid of 300 photos
// fetches the ones on screen first and the rest as the user scrolls to them.
//
// The attribute must be there before the src is: an image starts loading (eagerly) as
// soon as it has a src and is in the page, so markup is marked while it is still inert
// (parsed in a <template>), and a src set on an element marks the element first.

const GRANT_FILES = "/_pyshell/file/";

/** Is `src` a URL of a granted file on this page's origin? */
export function isGrantUrl(src) {
  try {
    const url = new URL(String(src), location.href);
    return url.origin === location.origin && url.pathname.startsWith(GRANT_FILES);
  } catch {
    return false;
  }
}

/** Mark the grant images in inert markup (a template's content) lazy. */
export function lazyImagesIn(fragment) {
  for (const img of fragment.querySelectorAll("img[src]:not([loading])")) {
    if (isGrantUrl(img.getAttribute("src"))) img.setAttribute("loading", "lazy");
  }
}

/** Before `el`'s `src` becomes `value` (an attribute or the property): mark it lazy if
 *  that is a grant URL and the app did not choose. */
export function beforeSrc(el, name, value) {
  if (name === "src" && el instanceof HTMLImageElement && !el.hasAttribute("loading")
      && isGrantUrl(value)) {
    el.setAttribute("loading", "lazy");
  }
}
