/*
| Runs one piece of the app's own code outside HTTP, in a process of its own
| that boots the app with the Ignitor as bin/console.ts does (environment from
| process variables). Prints one JSON line. Started by bench/support/processes.ts:
|
|   node --import=@poppinss/ts-exec bench/support/app_script.ts enqueue-checkins <fromId> <toId>
|       gives the `scheduled` check-ins with ids in [fromId, toId] a fresh token
|       and their job, built by the app's checkinJob() and added with enqueue()
|   node --import=@poppinss/ts-exec bench/support/app_script.ts reconcile [--allocations]
|       one reconcileQueues() pass, timed, without the grace period; with
|       --allocations, under the sampling heap profiler, its summary included
*/
import 'reflect-metadata'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

const app = new Ignitor(APP_ROOT, { importer: IMPORTER }).createApp('console')
app.booting(async () => {
  await import('#start/env')
})
await app.init()
await app.boot()
await app.start(() => {})

async function enqueueCheckins(fromId: number, toId: number) {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { default: CheckinTask } = await import('#models/checkin_task')
  const { generateCheckinToken } = await import('#services/checkins/checkin_token')
  const { default: sendCheckinJob, checkinJob } = await import('#jobs/send_checkin_job')

  const started = performance.now()
  let enqueued = 0
  for (let first = fromId; first <= toId; first += 1000) {
    const tasks = await CheckinTask.query()
      .where('status', 'scheduled')
      .whereBetween('id', [first, Math.min(first + 999, toId)])
      .orderBy('id')
    if (tasks.length === 0) continue
    const tokens = tasks.map(() => generateCheckinToken())
    await db.rawQuery(
      `UPDATE checkin_tasks SET token_hash = t.hash, updated_at = now()
         FROM unnest(?::int[], ?::text[]) AS t(id, hash) WHERE checkin_tasks.id = t.id`,
      [tasks.map((task) => task.id), tokens.map((token) => token.hashed)]
    )
    await sendCheckinJob.enqueue(tasks.map((task, index) => checkinJob(task, tokens[index].plain)))
    enqueued += tasks.length
  }
  return { enqueued, ms: performance.now() - started }
}

async function reconcile(withAllocations: boolean) {
  const { reconcileQueues } = await import('#queue/reconciler')
  const { profileAllocations } = await import('./allocation_profile.js')
  const started = performance.now()
  const pass = () => reconcileQueues({ graceSeconds: 0 })
  const { result: restored, allocations } = withAllocations
    ? await profileAllocations(pass)
    : { result: await pass(), allocations: undefined }
  return {
    ...restored,
    ms: performance.now() - started,
    rssBytes: process.memoryUsage().rss,
    allocations,
  }
}

let exitCode = 0
try {
  const [task, ...args] = process.argv.slice(2)
  const result =
    task === 'enqueue-checkins'
      ? await enqueueCheckins(Number(args[0]), Number(args[1]))
      : task === 'reconcile'
        ? await reconcile(args.includes('--allocations'))
        : null
  if (!result) throw new Error(`unknown task "${task}"`)
  process.stdout.write(`${JSON.stringify(result)}\n`)
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  await app.terminate()
}
process.exit(exitCode)
