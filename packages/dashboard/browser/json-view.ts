import { append, el } from './dom.js';

/**
 * The record as written, pretty-printed into spans whose text is set as text: the colours come from
 * classes, the content is never markup. A string equal to the trail's mask is a value the redaction
 * replaced, and is marked as such so no reader takes `******` for a real password.
 */
export function jsonView(value: unknown, mask: string): DocumentFragment {
  const out = document.createDocumentFragment();
  write(out, value, '', mask);
  return out;
}

function write(out: Node, value: unknown, indent: string, mask: string): void {
  if (value === null) return append(out, el('span', { class: 'j-null' }, 'null'));
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    if (value === mask) {
      return append(out, el('span', { class: 'j-str j-masked', title: 'masked by the trail’s redaction: the real value was never written' }, text), el('span', { class: 'j-mask-label' }, ' masked'));
    }
    return append(out, el('span', { class: 'j-str' }, text));
  }
  if (typeof value === 'number') return append(out, el('span', { class: 'j-num' }, String(value)));
  if (typeof value === 'boolean') return append(out, el('span', { class: 'j-bool' }, String(value)));
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return append(out, '[]');
    append(out, '[\n');
    value.forEach((item, i) => {
      append(out, inner);
      write(out, item, inner, mask);
      append(out, i < value.length - 1 ? ',\n' : '\n');
    });
    return append(out, indent + ']');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return append(out, '{}');
  append(out, '{\n');
  entries.forEach(([key, item], i) => {
    append(out, inner, el('span', { class: 'j-key' }, JSON.stringify(key)), ': ');
    write(out, item, inner, mask);
    append(out, i < entries.length - 1 ? ',\n' : '\n');
  });
  append(out, indent + '}');
}
