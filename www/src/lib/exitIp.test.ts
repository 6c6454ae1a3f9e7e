import { describe, expect, it } from 'vitest';
import { exitIpView } from './exitIp';

describe('exitIpView', () => {
  it('shows the announced IP right after a rotation, before the next check', () => {
    expect(exitIpView({ remote_ip: '127.0.0.4', exit_ip: '127.0.0.3', last_rotated_at: '2025-11-13T10:00:10Z', last_check_at: '2025-11-13T10:00:05Z' }))
      .toEqual({ ip: '127.0.0.4', mismatch: null });
  });

  it('flags a check on the current upstream that saw another address', () => {
    expect(exitIpView({ remote_ip: '127.0.0.4', exit_ip: '10.9.9.9', last_rotated_at: '2025-11-13T10:00:10Z', last_check_at: '2025-11-13T10:00:20Z' }))
      .toEqual({ ip: '127.0.0.4', mismatch: '10.9.9.9' });
  });

  it('agrees when both are the same, and falls back to the checked IP', () => {
    expect(exitIpView({ remote_ip: '1.2.3.4', exit_ip: '1.2.3.4' })).toEqual({ ip: '1.2.3.4', mismatch: null });
    expect(exitIpView({ remote_ip: null, exit_ip: '1.2.3.4' })).toEqual({ ip: '1.2.3.4', mismatch: null });
    expect(exitIpView({})).toEqual({ ip: null, mismatch: null });
  });
});

describe('exitIpView timing', () => {
  it('does not flag a check in the same second as the rotation (it may have come first)', () => {
    expect(exitIpView({ remote_ip: '127.0.0.5', exit_ip: '127.0.0.4', last_rotated_at: '2025-11-13T10:00:10Z', last_check_at: '2025-11-13T10:00:10Z' }).mismatch).toBeNull();
  });
});
