import type { Group } from '@japa/runner/core'
import {
  startApp,
  startWorker,
  type AppProcess,
  type RunningApp,
} from '#tests/helpers/app_processes'
import { SmtpInbox } from '#tests/helpers/smtp_inbox'
import { resetState } from '#tests/helpers/state'

type Stoppable = { stop(): Promise<unknown> }

/**
 * What one test of running processes holds: a clean state and an SMTP inbox
 * from before it starts, and what it starts, stopped once it ends.
 */
export class ProcessScene {
  #inbox: SmtpInbox | undefined
  #app: RunningApp | undefined
  #processes: AppProcess[] = []
  #services: Stoppable[] = []

  get inbox(): SmtpInbox {
    if (!this.#inbox) throw new Error('the scene is not set up: no inbox')
    return this.#inbox
  }

  /** The web and worker processes the group asked for. */
  get app(): RunningApp {
    if (!this.#app) throw new Error('this scene started no app')
    return this.#app
  }

  /** The environment that sends the app's mail to the inbox. */
  get smtpEnv() {
    return { SMTP_PORT: String(this.inbox.port) }
  }

  /** A process the test started: stopped after it. */
  track<T extends AppProcess>(process: T): T {
    this.#processes.push(process)
    return process
  }

  /** A service the processes use (a Redis server): stopped after them. */
  stopAfterProcesses<T extends Stoppable>(service: T): T {
    this.#services.push(service)
    return service
  }

  /** A worker sending to the inbox, with `env` on top; stopped after the test. */
  async startWorker(
    env: Record<string, string> = {},
    options?: { concurrency?: number; nodeFlags?: string[] }
  ) {
    return this.track(await startWorker({ ...this.smtpEnv, ...env }, options))
  }

  /** Empties tables and queues, opens the inbox and, given `appEnv`, starts the app. */
  async setUp(appEnv?: Record<string, string>) {
    await resetState()
    this.#inbox = await SmtpInbox.start()
    if (!appEnv) return
    try {
      this.#app = await startApp({ ...this.smtpEnv, ...appEnv })
    } catch (error) {
      await this.tearDown()
      throw error
    }
    this.track(this.#app.web)
    this.track(this.#app.worker)
  }

  /** Stops every process at once, then the services, then closes the inbox. */
  async tearDown() {
    const processes = this.#processes.splice(0)
    await Promise.all(processes.map((process) => process.stop()))
    for (const service of this.#services.splice(0)) await service.stop()
    this.#app = undefined
    await this.#inbox?.close()
    this.#inbox = undefined
  }
}

/**
 * Before each test of the group: a clean state, an SMTP inbox and, given
 * `app`, web and worker processes sending to that inbox with this
 * environment on top. After each: what the test started stopped, the inbox
 * closed.
 */
export function processSceneForEach(
  group: Group,
  { app }: { app?: Record<string, string> } = {}
): ProcessScene {
  const scene = new ProcessScene()
  group.each.setup(async () => {
    await scene.setUp(app)
    return () => scene.tearDown()
  })
  return scene
}
