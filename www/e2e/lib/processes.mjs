// Starting and stopping the helper processes of an end-to-end run (stand-in, origin, server).
import { spawn } from 'node:child_process';

/**
 * Starts `command args`, and resolves once a stdout line matches `readyPattern` (returning
 * the match), or rejects after `timeoutMs` / when the process exits first. Output is kept
 * (last 200 lines) for failure reports.
 */
export function startProcess(name, command, args, { env = {}, readyPattern, timeoutMs = 60000, cwd } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = { name, child, pid: child.pid, output: [], exited: false, exitCode: null };
  const remember = (stream) => (chunk) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (!line) continue;
      proc.output.push(`[${name} ${stream}] ${line}`);
      if (proc.output.length > 200) proc.output.shift();
    }
  };
  child.stdout.on('data', remember('out'));
  child.stderr.on('data', remember('err'));

  const ready = new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      reject(new Error(`${name} did not print its READY line within ${timeoutMs} ms\n${tail(proc)}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const m = readyPattern.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name} could not start (${command}): ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      proc.exited = true;
      proc.exitCode = code ?? signal;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready\n${tail(proc)}`));
    });
  });
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
  });
  return { proc, ready };
}

export function tail(proc, lines = 40) {
  return proc.output.slice(-lines).join('\n');
}

/** SIGTERM, then SIGKILL after `graceMs`; only this process (by its pid). */
export async function stopProcess(proc, graceMs = 8000) {
  if (!proc || proc.exited) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  try {
    proc.child.kill('SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), graceMs));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      proc.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** Runs a command to completion with a time limit; resolves {code, stdout, stderr}. */
export function runCommand(command, args, { timeoutMs = 30000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + error.message });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}
