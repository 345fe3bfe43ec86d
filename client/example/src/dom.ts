type Child = Node | string | null | undefined | false;

/** Makes an element with attributes, event handlers (`on…`) and children: enough DOM for a few screens. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string | ((event: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** Replaces the page's content with one screen; `data-screen` names it (the browser test waits on it). */
export function show(screen: string, ...children: Child[]): void {
  const main = document.getElementById("app");
  if (!main) return;
  main.dataset.screen = screen;
  main.replaceChildren(...children.filter((child): child is Node | string => Boolean(child)));
}

/** The values of a submitted form, by input name. */
export function formValues(event: Event): Record<string, string> {
  event.preventDefault();
  const data = new FormData(event.target as HTMLFormElement);
  return Object.fromEntries([...data].map(([name, value]) => [name, String(value)]));
}

/** A notice or an error line, or nothing when there is no text. */
export const message = (text: string | undefined, kind: "notice" | "error") =>
  text ? h("p", { class: kind, role: "status" }, text) : null;

/** A labelled, required input. */
export const field = (label: string, name: string, type = "text", autocomplete = "") =>
  h("label", {}, label, h("input", { name, type, required: "", autocomplete }));

/** Shows an error above the current screen, which stays as it is. */
export function showError(text: string): void {
  const main = document.getElementById("app");
  if (!main) return;
  const banner = main.querySelector(".error") ?? main.insertBefore(h("p", { class: "error", role: "alert" }), main.firstChild);
  banner.textContent = text;
}
