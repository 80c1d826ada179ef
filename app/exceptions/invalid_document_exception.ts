import { Exception } from '@adonisjs/core/exceptions'

/**
 * An uploaded file that is no PDF we take: not a PDF, cut short, or a PDF
 * whose embedded invoice data cannot be read safely (HTTP 422). The message
 * names the file.
 */
export default class InvalidDocumentException extends Exception {
  static status = 422
  static code = 'E_INVALID_DOCUMENT'
}
