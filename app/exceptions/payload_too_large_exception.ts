import { Exception } from '@adonisjs/core/exceptions'

/**
 * The request is over a size limit the message names (HTTP 413).
 */
export default class PayloadTooLargeException extends Exception {
  static status = 413
  static code = 'E_PAYLOAD_TOO_LARGE'
}
