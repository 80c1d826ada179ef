import { Exception } from '@adonisjs/core/exceptions'

/**
 * An import whose file as a whole cannot be read: not text, no header we
 * know, no rows (HTTP 422). Problems of single rows stay in the draft.
 */
export default class UnreadableImportException extends Exception {
  static status = 422
  static code = 'E_UNREADABLE_IMPORT'
}
