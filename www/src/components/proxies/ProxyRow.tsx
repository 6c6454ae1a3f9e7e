import { useState } from 'react';
import { checkProxy, deleteProxy, getProxy, restartProxy, updateProxy } from '../../api/proxies';
import type { Proxy, RotateResult } from '../../api/types';
import { exitIpView } from '../../lib/exitIp';
import { describeUpstream } from '../../lib/proxyUrls';
import { regionLabel } from '../../lib/regions';
import { Link } from '../../hooks/useRoute';
import { ConfirmDialog } from '../ConfirmDialog';
import { EditableName } from '../EditableName';
import { ErrorMessage, StatusNote } from '../ErrorMessage';
import { StatusBadge } from '../StatusBadge';
import { smallButton } from '../ui';
import { ProxyEndpoint } from './ProxyEndpoint';
import { ProxyLatency } from './ProxyLatency';
import { ProxySettingsDialog } from './ProxySettingsDialog';
import { ProxyTimers } from './ProxyTimers';
import { RotateControl } from './RotateControl';

export function rotateMessage(result: RotateResult): string {
  if (result.message) return result.message;
  if (result.rotated && result.new_ip) return `Rotated to ${result.new_ip}${result.location ? ` (${result.location})` : ''}`;
  if (result.scheduled) return 'Rotation scheduled for when the provider allows it';
  return result.success ? 'Rotation requested' : 'Rotation did not happen';
}

/** One key on the dashboard: what it is, where its endpoint is, how it is doing, and its actions. */
export function ProxyRow({ proxy, now, healthVersion, flashed, onChanged, onRemoved }: {
  proxy: Proxy;
  now: number;
  healthVersion: number;
  flashed: boolean;
  onChanged: (proxy: Proxy) => void;
  onRemoved: (id: number) => void;
}) {
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dialog, setDialog] = useState<'settings' | 'delete' | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const name = proxy.key_name || proxy.subdomain;
  const exit = exitIpView(proxy);

  const act = async (what: string, operation: () => Promise<string>) => {
    setBusy(what);
    setError(null);
    setNote(null);
    try {
      setNote(await operation());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    setBusy('delete');
    setDeleteError(null);
    try {
      await deleteProxy(proxy.id);
      setDialog(null);
      onRemoved(proxy.id);
    } catch (e) {
      setDeleteError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <li
      data-testid="proxy-row"
      data-proxy-id={proxy.id}
      data-subdomain={proxy.subdomain}
      className={`rounded-lg border bg-white p-3 shadow-sm dark:bg-slate-900 ${flashed ? 'border-sky-400 dark:border-sky-500' : 'border-slate-200 dark:border-slate-700'}`}
    >
      <div className="grid gap-3 md:grid-cols-[minmax(0,1.3fr)_minmax(0,1.2fr)_minmax(0,1.4fr)_minmax(0,1fr)_minmax(0,1fr)]">
        <div className="min-w-0 space-y-1">
          <div className="flex items-center gap-2">
            <span className="text-sm text-slate-500 dark:text-slate-400"><span className="sr-only">Number </span>#{proxy.id}</span>
            <EditableName value={proxy.key_name} label={name} onSave={async (next) => onChanged(await updateProxy(proxy.id, { key_name: next }))} />
          </div>
          <div className="truncate font-mono text-xs text-slate-500 dark:text-slate-400" title="Provider key (masked)">{proxy.kiotproxy_key}</div>
          <div className="text-xs text-slate-500 dark:text-slate-400">Region: {regionLabel(String(proxy.region))}</div>
        </div>

        <div className="min-w-0 space-y-1 text-sm">
          <div className="font-mono" data-testid="upstream">{describeUpstream(proxy.remote_http)}</div>
          <div>
            <span className="text-slate-500 dark:text-slate-400">Exit IP </span>
            <span className="font-mono" data-testid="exit-ip">{exit.ip ?? '—'}</span>
          </div>
          {exit.mismatch && (
            <div className="text-xs text-amber-700 dark:text-amber-300" data-testid="exit-ip-mismatch">
              last check saw <span className="font-mono">{exit.mismatch}</span>
            </div>
          )}
          <div data-testid="location">{proxy.location || '—'}</div>
        </div>

        <ProxyEndpoint proxy={proxy} />

        <div className="space-y-1 text-sm">
          <div className="flex items-center gap-2">
            <StatusBadge status={proxy.is_active ? proxy.status : 'inactive'} title={proxy.status_message || undefined} />
            <span data-testid="latency">{typeof proxy.latency_ms === 'number' && proxy.latency_ms >= 0 ? `${proxy.latency_ms} ms` : '—'}</span>
          </div>
          <ProxyLatency proxyId={proxy.id} version={healthVersion} label={name} />
          {proxy.status_message && <div className="text-xs text-slate-500 dark:text-slate-400">{proxy.status_message}</div>}
        </div>

        <ProxyTimers proxy={proxy} now={now} />
      </div>

      <div className="mt-3 flex flex-wrap items-center gap-2 border-t border-slate-100 pt-2 dark:border-slate-800">
        <RotateControl
          proxyId={proxy.id}
          region={String(proxy.region)}
          label={name}
          onDone={(r) => {
            setError(null);
            setNote(rotateMessage(r));
            // The event stream will say so too; fetching now shows the new upstream at once.
            getProxy(proxy.id).then(onChanged, setError);
          }}
          onError={(e) => {
            setNote(null);
            setError(e);
          }}
        />
        <Link to={`/proxies/${proxy.id}`} className={smallButton} aria-label={`Details of ${name}`}>
          Details
        </Link>
        <button type="button" className={smallButton} disabled={busy !== null} onClick={() => act('check', async () => {
          const sample = await checkProxy(proxy.id);
          return sample.ok === false ? `Check failed: ${sample.error || sample.state || 'unhealthy'}` : `Checked: ${sample.latency_ms ?? '?'} ms`;
        })}>
          {busy === 'check' ? 'Checking…' : 'Check'}
        </button>
        <button type="button" className={smallButton} disabled={busy !== null} aria-label={`Restart ${name}`} onClick={() => act('restart', async () => {
          await restartProxy(proxy.id);
          return 'Endpoint restarted';
        })}>
          {busy === 'restart' ? 'Restarting…' : 'Restart'}
        </button>
        <button type="button" className={smallButton} aria-label={`Settings of ${name}`} onClick={() => setDialog('settings')}>
          Settings
        </button>
        <button type="button" className={`${smallButton} text-red-700 dark:text-red-300`} aria-label={`Delete ${name}`} onClick={() => setDialog('delete')}>
          Delete
        </button>
      </div>

      {(note || error !== null) && (
        <div className="mt-2 space-y-1">
          <StatusNote>{note}</StatusNote>
          <ErrorMessage error={error} onDismiss={() => setError(null)} />
        </div>
      )}

      {dialog === 'settings' && <ProxySettingsDialog proxy={proxy} onSaved={onChanged} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Delete"
          pending={busy === 'delete'}
          error={deleteError}
          onConfirm={remove}
          onCancel={() => {
            setDialog(null);
            setDeleteError(null);
          }}
        >
          <p>
            The endpoint <span className="font-mono">{proxy.endpoint}</span> ({proxy.subdomain}) stops serving, and the provider's proxy is released.
          </p>
        </ConfirmDialog>
      )}
    </li>
  );
}
