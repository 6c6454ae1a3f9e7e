import { api } from './client';
import type { User } from './types';

export const listUsers = () => api.get<User[]>('/api/users');

export const addUser = (username: string, password: string, role: string) =>
  api.post<User>('/api/users', { username, password, role });

export interface UserChanges {
  role?: string;
  disabled?: boolean;
  password?: string;
}

export const updateUser = (id: number, changes: UserChanges) => api.put<User>(`/api/users/${id}`, changes);

export const deleteUser = (id: number) => api.delete<{ success: boolean }>(`/api/users/${id}`);
