/*
|--------------------------------------------------------------------------
| The suite's clock: TEST_NOW
|--------------------------------------------------------------------------
|
| `TEST_NOW=2026-12-04T23:30:00+01:00 npm test` runs the whole suite as if it
| started at that moment: `Date` (and so luxon, BullMQ's timestamps, pino)
| reads TEST_NOW plus the real time elapsed since the runner started, and
| HTTP servers date their answers by it. Timers (setTimeout, setInterval)
| are not touched: Redis, PostgreSQL and BullMQ keep their real ones.
|
| bin/test.ts imports this module first. The runner computes the offset once
| and hands it, with an `--import` of this file in NODE_OPTIONS, to every
| process it spawns (web, worker, `npm run dev` and its children), so all of
| them read the same clock instead of each computing its own.
|
| Plain JavaScript: NODE_OPTIONS reaches the machine's own Node too (the npm
| of `npm run dev` in the e2e tests), which runs no TypeScript. Under tests/,
| so nothing of it is in the production build.
*/
import http from 'node:http'
import timekeeper from 'timekeeper'

const OFFSET_VARIABLE = 'TEST_NOW_OFFSET_MS'
const requested = process.env.TEST_NOW

if (requested) {
  let offset = Number(process.env[OFFSET_VARIABLE])
  if (process.env[OFFSET_VARIABLE] === undefined || Number.isNaN(offset)) {
    const target = Date.parse(requested)
    if (Number.isNaN(target)) {
      throw new Error(
        `TEST_NOW="${requested}" is not a date: give an ISO 8601 moment with its offset, ` +
          'e.g. TEST_NOW=2026-12-04T23:30:00+01:00'
      )
    }
    offset = target - Date.now()
    process.env[OFFSET_VARIABLE] = String(offset)
    const preload = `--import=${JSON.stringify(import.meta.url)}`
    process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, preload].filter(Boolean).join(' ')
  }
  // Travel, not freeze: the clock keeps running at real speed from there
  timekeeper.travel(Date.now() + offset)
  answerOnTheSuiteClock()
}

/**
 * Node's HTTP servers date their answers (the Date header) from a clock of
 * their own, which the travel does not move. A client that corrects its
 * clock from that header would then sign its requests an offset away from
 * the server's clock: the AWS SDK does, and s3rver refused every request
 * but the first. Answers are dated on the suite's clock instead.
 */
function answerOnTheSuiteClock() {
  const { writeHead } = http.ServerResponse.prototype
  http.ServerResponse.prototype.writeHead = function (...args) {
    if (this.sendDate && !this.headersSent && !this.hasHeader('date')) {
      this.setHeader('Date', new Date().toUTCString())
    }
    return writeHead.apply(this, args)
  }
}
