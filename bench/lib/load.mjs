// One load run (autocannon, or a paced load when a rate is given), in its own process so the driver
// can pin it to the other core:
// `node load.mjs '<json config>'` prints one JSON line with the result.
//
// When the load ends it takes the size of the log at once, here rather than in the driver, so
// "what was on disk when the load stopped" is read within a millisecond of the last response.
import autocannon from 'autocannon';
import { logBytes } from './log-files.mjs';
import { paced } from './paced.mjs';

const { url, method, body, headers, connections, duration, logDir, rate } = JSON.parse(process.argv[2]);

// With `rate`, a paced load for latency (see paced.mjs); without, autocannon as fast as the server answers.
const result = rate
  ? { ...(await paced({ url, method, body, headers, duration, rate })), sizeAtStop: undefined }
  : await new Promise((resolve, reject) => {
      autocannon({ url, method, body, headers, connections, duration }, (err, res) => {
        const sizeAtStop = logDir ? logBytes(logDir) : 0;
        if (err) reject(err);
        else resolve({ ...res, ok: res['2xx'], ...res.latency, sizeAtStop });
      });
    });
if (rate) result.sizeAtStop = logDir ? logBytes(logDir) : 0;

process.stdout.write(
  `${JSON.stringify({
    duration: result.duration,
    ok: result.ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: result.p50,
    p99: result.p99,
    p999: result.p99_9,
    sizeAtStop: result.sizeAtStop,
  })}\n`,
);
