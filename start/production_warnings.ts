/*
| Settings a production deployment should not run with. Each is one warning
| line at boot (web, worker and ace commands), not a refusal: a staging
| stack or CI may run production mode on plain loopback services.
*/
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'

function productionWarnings(): string[] {
  const warnings: string[] = []
  if (new URL(env.get('APP_URL')).protocol === 'http:') {
    warnings.push(
      'APP_URL is http: check-in links and API tokens travel unencrypted; serve the API over https'
    )
  }
  if (!env.get('SMTP_SECURE') && !env.get('SMTP_REQUIRE_TLS')) {
    warnings.push(
      'SMTP without TLS: set SMTP_SECURE=true (port 465) or SMTP_REQUIRE_TLS=true, or emails and SMTP credentials may travel unencrypted'
    )
  }
  if (!env.get('REDIS_PASSWORD')) {
    warnings.push('Redis without a password: set REDIS_PASSWORD (Redis holds the queued job data)')
  }
  if (env.get('EMAIL_VERIFICATION') === 'off') {
    warnings.push(
      'EMAIL_VERIFICATION=off: emails go out for accounts whose address was never verified'
    )
  }
  if (env.get('WEBHOOK_ALLOW_PRIVATE')) {
    warnings.push(
      'WEBHOOK_ALLOW_PRIVATE=true is ignored in production: webhooks go to https URLs of public addresses only'
    )
  }
  if (env.get('INBOUND_DOMAIN') && !(env.get('INBOUND_TLS_KEY') && env.get('INBOUND_TLS_CERT'))) {
    warnings.push(
      'The inbound receiver offers no STARTTLS: set INBOUND_TLS_KEY and INBOUND_TLS_CERT, or clients’ replies reach it unencrypted'
    )
  }
  return warnings
}

if (app.inProduction) {
  for (const warning of productionWarnings()) logger.warn(warning)
}
