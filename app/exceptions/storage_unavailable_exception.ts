import { Exception } from '@adonisjs/core/exceptions'

/**
 * The document store (the app's disk or an S3 bucket) failed to answer
 * (HTTP 503): nothing was changed, the request may be sent again later.
 */
export default class StorageUnavailableException extends Exception {
  static status = 503
  static code = 'E_STORAGE_UNAVAILABLE'
}
