import type { HttpContext } from '@adonisjs/core/http'
import { healthChecks } from '#start/health'

export default class HealthController {
  async show({ response }: HttpContext) {
    const report = await healthChecks.run()
    const down = report.checks
      .filter((check) => check.status === 'error')
      .map((check) => check.name)
    if (down.length > 0) {
      return response.serviceUnavailable({
        errors: down.map((name) => ({ message: `${name} is down` })),
      })
    }
    return {
      data: { status: 'ok', checks: report.checks.map(({ name, status }) => ({ name, status })) },
    }
  }
}
