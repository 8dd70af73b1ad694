// Keeps keyboard focus inside the top-most open dialog, closes it on Escape (even when focus was
// lost, e.g. its button became disabled), and gives focus back to the element that opened it.
import { nextTick, onBeforeUnmount, onMounted, type Ref } from 'vue';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface Trap {
  root: Ref<HTMLElement | null>;
  onEscape: () => void;
}
/** open dialogs, innermost last: only that one reacts to keys */
const stack: Trap[] = [];

function focusables(root: HTMLElement | null): HTMLElement[] {
  return root ? Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)) : [];
}

function onKey(e: KeyboardEvent): void {
  const top = stack[stack.length - 1];
  const root = top?.root.value;
  if (!top || !root) return;
  if (e.key === 'Escape') {
    e.stopPropagation();
    e.preventDefault();
    top.onEscape();
    return;
  }
  if (e.key !== 'Tab') return;
  const list = focusables(root);
  const first = list[0];
  const last = list[list.length - 1];
  if (!first || !last) {
    e.preventDefault();
    root.focus();
    return;
  }
  const active = document.activeElement;
  const inside = root.contains(active);
  if (e.shiftKey && (active === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

export function useFocusTrap(root: Ref<HTMLElement | null>, onEscape: () => void): void {
  let opener: Element | null = null;
  const trap: Trap = { root, onEscape };

  onMounted(async () => {
    opener = document.activeElement;
    if (stack.length === 0) document.addEventListener('keydown', onKey, true);
    stack.push(trap);
    await nextTick();
    const auto = root.value?.querySelector<HTMLElement>('[autofocus], [data-autofocus]');
    (auto ?? focusables(root.value)[0] ?? root.value)?.focus();
  });
  onBeforeUnmount(() => {
    const i = stack.indexOf(trap);
    if (i >= 0) stack.splice(i, 1);
    if (stack.length === 0) document.removeEventListener('keydown', onKey, true);
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
}
