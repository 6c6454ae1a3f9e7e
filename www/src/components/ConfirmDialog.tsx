import type { ReactNode } from 'react';
import { Modal } from './Modal';
import { ErrorMessage } from './ErrorMessage';
import { button, dangerButton } from './ui';

/** Asks before something that cannot be undone; shows the API's error if it fails. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  pending,
  error,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  pending?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal title={title} onClose={onCancel}>
      <div className="space-y-3 text-sm">{children}</div>
      <ErrorMessage error={error} className="mt-3" />
      <div className="mt-4 flex justify-end gap-2">
        <button type="button" className={button} onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className={dangerButton} onClick={onConfirm} disabled={pending}>
          {pending ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
