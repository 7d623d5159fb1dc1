// Owns escaping for the report's HTML: every string that comes from an input
// (policy names, paths, source text, loader events) reaches a page only
// through these functions — as element text, as an attribute value, or as
// JSON inside a <script type="application/json"> block that the page's own
// script reads and shows with textContent.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element or a quoted attribute value. */
export function esc(s: string | number | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * JSON for a `<script type="application/json">` block: `<` `>` `&` and the
 * line separators are written as \u escapes, so no input can close the
 * element or start a comment; JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
