import type { Assert } from '@japa/assert'
import type { ApiResponse } from '@japa/api-client'

/** One entry of an API error body. */
export type ApiError = { message: string; field?: string; rule?: string }

/** An error a 422 body must hold; without `rule`, any rule on the field will do. */
export type ExpectedFieldError = { field: string; rule?: string }

/**
 * A refused request: the given status (or one of the given statuses, never a
 * 500), JSON, and a body that is `{errors: [{message, field?, rule?}]}` and
 * nothing else. Returns the errors.
 */
export function assertErrorBody(
  assert: Assert,
  response: ApiResponse,
  status: number | number[]
): ApiError[] {
  assert.oneOf(
    response.status(),
    Array.isArray(status) ? status : [status],
    `status ${response.status()}: ${JSON.stringify(response.body())}`
  )
  assert.match(response.header('content-type') ?? '', /application\/json/)
  const body = response.body()
  assert.deepEqual(Object.keys(body), ['errors'])
  assert.isArray(body.errors)
  assert.isAbove(body.errors.length, 0)
  for (const error of body.errors) {
    assert.isString(error.message)
    assert.includeMembers(['message', 'field', 'rule'], Object.keys(error))
  }
  return body.errors
}

/** A 422 error body naming each of the `expected` fields (and rules). */
export function assertFieldErrors(
  assert: Assert,
  response: ApiResponse,
  expected: ExpectedFieldError[]
) {
  const errors = assertErrorBody(assert, response, 422)
  for (const { field, rule } of expected) {
    assert.isTrue(
      errors.some((error) => error.field === field && (rule === undefined || error.rule === rule)),
      `expected an error on ${field}${rule ? ` (${rule})` : ''}, got ${JSON.stringify(errors)}`
    )
  }
}

/** A list endpoint's answer with nothing on its first page. */
export function assertEmptyPage(assert: Assert, response: ApiResponse) {
  response.assertStatus(200)
  assert.deepEqual(response.body(), {
    data: [],
    meta: { total: 0, perPage: 20, currentPage: 1, lastPage: 1 },
  })
}
