// Keeps keyboard focus inside an open dialog, closes it on Escape, and gives focus back to the
// element that opened it.
import { nextTick, onBeforeUnmount, onMounted, type Ref } from 'vue';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function useFocusTrap(root: Ref<HTMLElement | null>, onEscape: () => void): void {
  let opener: Element | null = null;

  function focusables(): HTMLElement[] {
    return root.value ? Array.from(root.value.querySelectorAll<HTMLElement>(FOCUSABLE)) : [];
  }

  function onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.stopPropagation();
      e.preventDefault();
      onEscape();
      return;
    }
    if (e.key !== 'Tab') return;
    const list = focusables();
    const first = list[0];
    const last = list[list.length - 1];
    if (!first || !last) return;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !root.value?.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !root.value?.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  }

  onMounted(async () => {
    opener = document.activeElement;
    root.value?.addEventListener('keydown', onKey);
    await nextTick();
    const auto = root.value?.querySelector<HTMLElement>('[autofocus], [data-autofocus]');
    (auto ?? focusables()[0] ?? root.value)?.focus();
  });
  onBeforeUnmount(() => {
    root.value?.removeEventListener('keydown', onKey);
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
}
