import { Exception } from '@adonisjs/core/exceptions'

/**
 * The request body is not of a type the route takes, which the message
 * names (HTTP 415).
 */
export default class UnsupportedMediaTypeException extends Exception {
  static status = 415
  static code = 'E_UNSUPPORTED_MEDIA_TYPE'
}
