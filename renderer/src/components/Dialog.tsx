import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal question over the screen: a heading, what it is about, and its
 * buttons. The first button takes the focus; `onClose` is the way out that
 * changes nothing (also the Escape key, for staff with a keyboard).
 */
export function Dialog({
  title,
  children,
  onClose,
  closeLabel,
  actions,
}: {
  title: string;
  children?: ReactNode;
  onClose: () => void;
  closeLabel: string;
  /** The dialog's own buttons; the close button comes first, on the left, as every screen's way back does. */
  actions?: ReactNode;
}) {
  const titleId = useId();
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const escape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', escape);
    return () => window.removeEventListener('keydown', escape);
  }, [onClose]);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby={titleId}>
      <div className="overlay__box" ref={box}>
        <h2 id={titleId}>{title}</h2>
        {children}
        <div className="actions">
          <button type="button" onClick={onClose}>
            {closeLabel}
          </button>
          {actions}
        </div>
      </div>
    </div>
  );
}
