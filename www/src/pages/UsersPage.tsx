import { useState } from 'react';
import { addUser, deleteUser, listUsers, updateUser } from '../api/users';
import type { User } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorMessage, StatusNote } from '../components/ErrorMessage';
import { button, card, input, label, primaryButton, smallButton } from '../components/ui';
import { useAuth } from '../hooks/useAuth';
import { useLoader } from '../hooks/useLoader';
import { formatDateTime } from '../lib/time';

export const MIN_PASSWORD_LENGTH = 10;

export function passwordProblem(password: string): string | null {
  return password.length < MIN_PASSWORD_LENGTH ? `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.` : null;
}

function AddUserForm({ onAdded }: { onAdded: (u: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('user');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setError(null);
    const problem = !username.trim() ? 'Enter a user name.' : passwordProblem(password);
    if (problem) return setError(new Error(problem));
    setPending(true);
    try {
      onAdded(await addUser(username.trim(), password, role));
      setUsername('');
      setPassword('');
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  return (
    <form aria-label="Add a user" className="space-y-2" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <div className="grid gap-2 sm:grid-cols-[1fr_1fr_auto_auto] sm:items-end">
        <div>
          <label htmlFor="new-username" className={label}>User name</label>
          <input id="new-username" className={input} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div>
          <label htmlFor="new-password" className={label}>Password</label>
          <input id="new-password" type="password" autoComplete="new-password" className={input} value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <div>
          <label htmlFor="new-role" className={label}>Role</label>
          <select id="new-role" className={input} value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <button type="submit" className={primaryButton} disabled={pending}>{pending ? 'Adding…' : 'Add user'}</button>
      </div>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
    </form>
  );
}

function UserRow({ user, isSelf, onChanged, onRemoved }: { user: User; isSelf: boolean; onChanged: (u: User) => void; onRemoved: (id: number) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [resetting, setResetting] = useState(false);
  const [newPassword, setNewPassword] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  const change = async (changes: Parameters<typeof updateUser>[1], done: string) => {
    setError(null);
    setNote(null);
    setPending(true);
    try {
      onChanged(await updateUser(user.id, changes));
      setNote(done);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setPending(false);
    }
  };

  return (
    <li className={`${card} space-y-2`} data-testid="user-row" data-username={user.username}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-semibold">{user.username}</span>
        {isSelf && <span className="text-xs text-slate-500 dark:text-slate-400">(you)</span>}
        {user.disabled && <span className="rounded-full bg-slate-200 px-2 text-xs dark:bg-slate-700">disabled</span>}
        <span className="text-xs text-slate-500 dark:text-slate-400">since {formatDateTime(user.created_at)}</span>
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <label htmlFor={`role-${user.id}`} className="sr-only">Role of {user.username}</label>
          <select id={`role-${user.id}`} className={`${input} w-auto py-1 text-xs`} value={user.role} disabled={pending} onChange={(e) => void change({ role: e.target.value }, `Role set to ${e.target.value}.`)}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
          <button type="button" className={smallButton} disabled={pending} onClick={() => void change({ disabled: !user.disabled }, user.disabled ? 'Enabled.' : 'Disabled; their sessions end.')}>
            {user.disabled ? 'Enable' : 'Disable'}
          </button>
          <button type="button" className={smallButton} aria-expanded={resetting} onClick={() => setResetting((r) => !r)}>
            Reset password
          </button>
          <button type="button" className={`${smallButton} text-red-700 dark:text-red-300`} disabled={isSelf} onClick={() => setConfirmDelete(true)} aria-label={`Delete ${user.username}`}>
            Delete
          </button>
        </div>
      </div>
      {resetting && (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={async (e) => {
            e.preventDefault();
            const problem = passwordProblem(newPassword);
            if (problem) return setError(new Error(problem));
            if (await change({ password: newPassword }, 'Password reset.')) {
              setNewPassword('');
              setResetting(false);
            }
          }}
        >
          <div>
            <label htmlFor={`reset-${user.id}`} className={label}>New password for {user.username}</label>
            <input id={`reset-${user.id}`} type="password" autoComplete="new-password" className={input} value={newPassword} onChange={(e) => setNewPassword(e.target.value)} />
          </div>
          <button type="submit" className={button} disabled={pending}>Set password</button>
        </form>
      )}
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      <StatusNote>{note}</StatusNote>
      {confirmDelete && (
        <ConfirmDialog
          title={`Delete ${user.username}?`}
          confirmLabel="Delete user"
          pending={pending}
          error={deleteError}
          onCancel={() => { setConfirmDelete(false); setDeleteError(null); }}
          onConfirm={async () => {
            setPending(true);
            try {
              await deleteUser(user.id);
              onRemoved(user.id);
            } catch (e) {
              setDeleteError(e);
            } finally {
              setPending(false);
            }
          }}
        >
          <p>Their sessions and API tokens stop working.</p>
        </ConfirmDialog>
      )}
    </li>
  );
}

/** Admins only: the accounts, with add, disable, reset password, role and delete. */
export function UsersPage() {
  const { isAdmin, user: me } = useAuth();
  const users = useLoader(() => (isAdmin ? listUsers() : Promise.resolve([] as User[])), [isAdmin]);
  if (!isAdmin) {
    return (
      <section className="space-y-2">
        <h1 className="text-xl font-bold">Users</h1>
        <p role="alert">Only admins can manage users.</p>
      </section>
    );
  }
  const list = users.data ?? [];
  const replace = (u: User) => users.setData(list.some((x) => x.id === u.id) ? list.map((x) => (x.id === u.id ? u : x)) : [...list, u]);
  return (
    <section aria-labelledby="users-title" className="space-y-4">
      <h1 id="users-title" className="text-xl font-bold">Users</h1>
      <div className={card}>
        <AddUserForm onAdded={replace} />
      </div>
      <ErrorMessage error={users.error} />
      <ul className="space-y-2" aria-label="Users">
        {list.map((u) => (
          <UserRow key={u.id} user={u} isSelf={u.id === me?.id} onChanged={replace} onRemoved={(id) => users.setData(list.filter((x) => x.id !== id))} />
        ))}
      </ul>
    </section>
  );
}
