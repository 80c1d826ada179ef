import { Exception } from '@adonisjs/core/exceptions'

/**
 * The account may not hold more of something (HTTP 403): invoices before
 * its address is verified, or past a cap every account has. The message
 * names the limit and what lifts it.
 */
export default class QuotaExceededException extends Exception {
  static status = 403
  static code = 'E_QUOTA_EXCEEDED'
}
