import { Exception } from '@adonisjs/core/exceptions'

/**
 * A request body that cannot be read as what it says it is (HTTP 400): not
 * JSON, nested past the limit, an encoding that does not decode.
 */
export default class MalformedBodyException extends Exception {
  static status = 400
  static code = 'E_MALFORMED_BODY'
}
