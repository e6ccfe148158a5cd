// A child process for the concurrent-open test: opens the shared file, writes 100 records, closes.
import { openSqliteStore } from '@auditkit/store';
import { recordLine } from './helpers.js';

const [path, k] = process.argv.slice(2);
const store = await openSqliteStore({ path: path! });
const base = Date.now() * 1000;
await store.write(Array.from({ length: 100 }, (_, i) => recordLine(Number(k) * 1000 + i, base + i)));
await store.close();
