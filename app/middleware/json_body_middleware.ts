import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { Exception } from '@adonisjs/core/exceptions'
import MalformedBodyException from '#exceptions/malformed_body_exception'
import PayloadTooLargeException from '#exceptions/payload_too_large_exception'
import { MAX_IMPORT_ROWS } from '#services/imports/import_parser'
import { JSON_BODY_TYPES } from '#config/bodyparser'

/**
 * What a JSON body may hold, checked before anything reads it: no list
 * longer than the longest the API takes (the rows of an import), no nesting
 * deeper than any request needs.
 */
export const JSON_BODY_LIMITS = { items: MAX_IMPORT_ROWS, depth: 32 }

// As the body parser's own JSON parser: an object or a list, nothing else
const STARTS_AS_OBJECT_OR_LIST = /^[ \t\n\r]*[[{]/

/**
 * Whether the JSON text nests deeper than the limit, read before it is
 * parsed: the native parser takes 100 ms on a body nested half a million
 * deep, in one go. Brackets inside strings do not count.
 */
function nestsTooDeep(text: string) {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (inString) {
      if (code === 0x5c)
        index++ // a backslash escapes the next character
      else if (code === 0x22) inString = false
    } else if (code === 0x22) {
      inString = true
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > JSON_BODY_LIMITS.depth) return true
    } else if (code === 0x5d || code === 0x7d) {
      depth--
    }
  }
  return false
}

/**
 * Walks the parsed body without recursion, bounding it, and normalizes its
 * strings as the body parser does (trimmed, empty ones null). Keys that
 * could reach an object's prototype once merged are dropped.
 */
function boundAndNormalize(body: unknown) {
  const pending: { value: unknown; depth: number; path: string }[] = [
    { value: body, depth: 1, path: 'the request body' },
  ]
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!
    if (Array.isArray(value)) {
      if (value.length > JSON_BODY_LIMITS.items) {
        throw new PayloadTooLargeException(
          `The list ${path} holds ${value.length.toLocaleString('en')} items; the limit is ${JSON_BODY_LIMITS.items.toLocaleString('en')}`
        )
      }
    } else if (value === null || typeof value !== 'object') {
      continue
    }
    const container = value as Record<string, unknown>
    for (const key of ['__proto__', 'constructor']) {
      if (Object.hasOwn(container, key)) Reflect.deleteProperty(container, key)
    }
    for (const key of Object.keys(container)) {
      const child = container[key]
      if (typeof child === 'string') {
        const trimmed = child.trim()
        container[key] = trimmed === '' ? null : trimmed
      } else if (child !== null && typeof child === 'object') {
        pending.push({ value: child, depth: depth + 1, path: depth === 1 ? key : `${path}.${key}` })
      }
    }
  }
  return body
}

/**
 * Parses JSON bodies. The body parser's own JSON parsing runs a JavaScript
 * reviver on every value and deep-copies the result, recursively: a list of
 * a million zeros held the event loop for seconds, and a body nested 3,000
 * deep overflowed the stack. Here the body is read as text (within the
 * JSON size limit), parsed natively, then bounded in one pass before any
 * route or validator sees it: 400 for nesting past the limit (counted on
 * the text, before parsing) or text that is not JSON, 413 for a list past
 * its limit.
 */
export default class JsonBodyMiddleware {
  async handle({ request }: HttpContext, next: NextFn) {
    if (request.bodyType === 'raw' && request.is(JSON_BODY_TYPES)) {
      const text = request.raw() ?? ''
      let body: unknown = {}
      if (text !== '') {
        if (!STARTS_AS_OBJECT_OR_LIST.test(text)) {
          throw new Exception('The request body must be a JSON object', { status: 422 })
        }
        if (nestsTooDeep(text)) {
          throw new MalformedBodyException('The request body is nested too deeply')
        }
        try {
          body = JSON.parse(text)
        } catch {
          throw new MalformedBodyException('The request body is not valid JSON')
        }
      }
      request.updateBody(boundAndNormalize(body) as Record<string, unknown>)
      request.bodyType = 'json'
    }
    return next()
  }
}
