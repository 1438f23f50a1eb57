/** Small typed DOM helpers for the report page. */

/** The element with this id; throws when the page lacks it (a page and script out of step). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`report page: no #${id}`);
  return e as T;
}

/** Every element matching `selector` under `root`, as an array. */
export function all<T extends Element = HTMLElement>(selector: string, root: ParentNode = document): T[] {
  return [...root.querySelectorAll<T>(selector)];
}

/** The JSON inside <script id="…" type="application/json"> (the page writes `inf` for Infinity). */
export function readJson<T>(id: string): T {
  return JSON.parse(byId(id).textContent) as T;
}

/** An element with a class and text. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = '',
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}
