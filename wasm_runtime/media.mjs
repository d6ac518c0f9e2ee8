// Images and media for the app's Python (pyshell.files.url, read_bytes, thumbnail;
// pyshell.dom.object_url), made in the worker. Blob URLs made in a dedicated worker are
// the page's too (same origin), so Python can hand them to <img>, <video> and CSS.

const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** An object URL over a copy of the Python bytes ``data`` (a PyProxy of bytes). */
export function objectUrl(data, mime) {
  const bytes = data.toJs(); // a copy: the proxy of the Python bytes ends with this call
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

/**
 * The bytes at ``url`` (a grant file URL or an object URL), fetched without holding up
 * the worker: other handlers run while they come. Rejects with "HTTP 404" and the like.
 */
export async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A scaled copy of the image at ``url``, at most ``maxPx`` wide and high (its aspect kept,
 * never enlarged), as JSON ``{url, width, height}`` (an object URL of a JPEG for a JPEG,
 * else a PNG) or ``{error, status}``: a file the engine cannot decode is an error, never a
 * wait.
 */
export async function thumbnail(url, maxPx) {
  let blob;
  try {
    const response = await fetch(url);
    if (!response.ok) {
      return JSON.stringify({ error: `HTTP ${response.status}`, status: response.status });
    }
    blob = await response.blob();
  } catch (err) {
    return JSON.stringify({ error: firstLine(err), status: 0 });
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    return JSON.stringify({ error: "not an image this engine can decode", status: 0 });
  }
  try {
    const scale = Math.min(1, maxPx / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, width, height);
    const type = blob.type === "image/jpeg" ? "image/jpeg" : "image/png";
    const scaled = await canvas.convertToBlob({ type, quality: 0.85 });
    return JSON.stringify({ url: URL.createObjectURL(scaled), width, height });
  } catch (err) {
    return JSON.stringify({ error: firstLine(err), status: 0 });
  } finally {
    bitmap.close();
  }
}
