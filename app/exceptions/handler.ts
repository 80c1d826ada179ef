import app from '@adonisjs/core/services/app'
import { errors as vineErrors } from '@vinejs/vine'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { errors as authErrors } from '@adonisjs/auth'
import { errors as limiterErrors } from '@adonisjs/limiter'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import { maskSecretPaths } from '#support/secret_paths'
import bodyParserConfig from '#config/bodyparser'
import { uploadLimitOf } from '#middleware/multipart_middleware'
import {
  isClientPageRequest,
  renderClientPageError,
} from '#services/client_page/client_page_errors'
import MalformedBodyException from '#exceptions/malformed_body_exception'
import StorageUnavailableException from '#exceptions/storage_unavailable_exception'

type ApiError = { message: string; field?: string; rule?: string }

/**
 * A request body the body parser could not read: refused with a plain 400
 * (never the parser's own text, which may quote the body or name internals)
 * and logged at warn level as what it is, the client's mistake.
 */
function unreadableBody(error: unknown): string | null {
  const code = (error as { code?: unknown })?.code
  // zlib's codes: a body sent gzip- or deflate-encoded that does not inflate
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return 'The request body could not be decompressed'
  }
  if (error instanceof MalformedBodyException) return error.message
  return null
}

/**
 * Every error leaves the API as `{errors: [{message, field?, rule?}]}`; the
 * client's page (`/client/…`) answers its errors as HTML pages.
 */
export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction

  async handle(error: unknown, ctx: HttpContext) {
    const { status, errors } =
      (error as { code?: unknown })?.code === 'E_REQUEST_ENTITY_TOO_LARGE'
        ? this.#bodyTooLarge(ctx)
        : this.#describe(error)
    if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
      for (const [name, value] of Object.entries(error.getDefaultHeaders())) {
        ctx.response.header(name, value)
      }
    }
    if (isClientPageRequest(ctx)) {
      return ctx.response.send(await renderClientPageError(ctx, status))
    }
    ctx.response.status(status).send({ errors })
  }

  /** The body parser's own message names no limit: this one does. */
  #bodyTooLarge(ctx: HttpContext): { status: number; errors: ApiError[] } {
    const [kind, limit] = ctx.request.is(bodyParserConfig.multipart.types)
      ? ['uploads', uploadLimitOf(ctx)]
      : ctx.request.is(bodyParserConfig.raw.types)
        ? ['JSON bodies', bodyParserConfig.raw.limit]
        : ['request bodies', bodyParserConfig.form.limit]
    const size = String(limit).replace(/^(\d+)\s*mb$/i, '$1 MB')
    return {
      status: 413,
      errors: [{ message: `The request body is over the ${size} limit for ${kind}` }],
    }
  }

  #describe(error: unknown): { status: number; errors: ApiError[] } {
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      // VineJS adds `meta` and `index` to some messages: keep the contract's keys only
      const messages = error.messages as ApiError[]
      return {
        status: 422,
        errors: messages.map(({ message, field, rule }) => ({ message, field, rule })),
      }
    }
    if (error instanceof lucidErrors.E_ROW_NOT_FOUND) {
      return { status: 404, errors: [{ message: 'Resource not found' }] }
    }
    if (error instanceof authErrors.E_INVALID_CREDENTIALS) {
      return { status: 401, errors: [{ message: 'Invalid email or password' }] }
    }
    if (error instanceof authErrors.E_UNAUTHORIZED_ACCESS) {
      return { status: 401, errors: [{ message: 'Authentication required' }] }
    }
    const unreadable = unreadableBody(error)
    if (unreadable) return { status: 400, errors: [{ message: unreadable }] }
    const code = (error as { code?: unknown })?.code
    if (code === '23505') {
      return { status: 409, errors: [{ message: 'This resource already exists' }] }
    }
    // PostgreSQL "data exception" class: a value the validators let through
    if (typeof code === 'string' && code.startsWith('22')) {
      return { status: 422, errors: [{ message: 'A value is out of range or malformed' }] }
    }
    if (error instanceof StorageUnavailableException) {
      return { status: 503, errors: [{ message: error.message }] }
    }
    const status = (error as { status?: unknown })?.status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, errors: [{ message: (error as Error).message }] }
    }
    return { status: 500, errors: [{ message: 'Internal server error' }] }
  }

  async report(error: unknown, ctx: HttpContext) {
    const unreadable = unreadableBody(error)
    if (unreadable) {
      ctx.logger.warn({ status: 400, ...this.context(ctx) }, unreadable)
      return
    }
    // A route-not-found message quotes the URL, which may hold a check-in token
    if (error instanceof Error) error.message = maskSecretPaths(error.message)
    return super.report(error, ctx)
  }
}
