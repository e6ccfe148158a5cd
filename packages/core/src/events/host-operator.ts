import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { HostOperatorRecord } from '../model/record.js';

/**
 * Who is at the keyboard of a command line or a console, as far as the host can tell:
 *
 * 1. `/proc/self/loginuid`: the kernel sets it when the session logs in (PAM) and keeps it through
 *    sudo and su; the user cannot change it. "Unset" (4294967295) in containers and cron.
 * 2. `SUDO_USER`, but only when running as root: sudo sets it for the process it starts; for anyone
 *    else it is just a variable the user set.
 * 3. The effective user.
 *
 * `USER`, `LOGNAME` and shell history are never used: the user sets them. A name the operator gives
 * (a flag, an environment variable the CLI reads) is kept as `asserted`, next to this one, and never
 * replaces it; a CLI that authenticated its operator with a token names them through the run's
 * handle (`operator(name)`), and then `via` says `application`.
 */

export interface HostOperator {
  name: string;
  verified: boolean;
  via: HostOperatorRecord['via'];
  uid: number | null;
  loginUid: number | null;
}

const UNSET_LOGIN_UID = 4294967295;

export function readLoginUid(path = '/proc/self/loginuid'): number | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (!/^\d+$/.test(text)) return null;
    const uid = Number(text);
    return uid === UNSET_LOGIN_UID ? null : uid;
  } catch {
    return null;
  }
}

/** The account name of a uid from /etc/passwd, else `uid:<n>`. */
export function userName(uid: number, passwd = '/etc/passwd'): string {
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields.length >= 3 && fields[2] === String(uid) && fields[0]) return fields[0];
    }
  } catch {
    // No passwd file (a distroless image): the number is all there is.
  }
  return `uid:${uid}`;
}

export function hostOperator(env: NodeJS.ProcessEnv = process.env): HostOperator {
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : null;
  const loginUid = readLoginUid();
  if (loginUid !== null) return { name: userName(loginUid), verified: true, via: 'login_uid', uid, loginUid };
  const sudoUser = env.SUDO_USER;
  if (uid === 0 && typeof sudoUser === 'string' && /^[A-Za-z0-9._-][A-Za-z0-9._@-]{0,63}$/.test(sudoUser)) {
    return { name: sudoUser, verified: true, via: 'sudo_user', uid, loginUid };
  }
  let name: string;
  if (uid !== null) name = userName(uid);
  else {
    try {
      name = userInfo().username;
    } catch {
      name = 'unknown';
    }
  }
  return { name, verified: true, via: 'effective_user', uid, loginUid };
}
