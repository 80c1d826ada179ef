import { test } from '@japa/runner'
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DOCUMENT = 'tmp/openapi/openapi.json'
const TYPES = 'tmp/openapi/schema.d.ts'

/** Runs a JavaScript CLI of node_modules/.bin on this Node, from the app root. */
function run(bin: string, args: string[]) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [`node_modules/.bin/${bin}`, ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr })
    )
  })
}

test.group('OpenAPI document for client generators', (group) => {
  group.each.timeout(120_000)

  test('the served document passes redocly lint, recommended rules', async ({ client, assert }) => {
    const response = await client.get('/api/v1/openapi.json')
    await mkdir(`${ROOT}tmp/openapi`, { recursive: true })
    await writeFile(`${ROOT}${DOCUMENT}`, JSON.stringify(response.body(), null, 2))

    // redocly.yaml at the root: the recommended rules, and why any is off
    const lint = await run('redocly', ['lint', DOCUMENT])
    assert.equal(lint.code, 0, lint.output)
    assert.include(lint.output, 'Your API description is valid')
    assert.notMatch(lint.output, /warning/i, lint.output)
  })

  test('openapi-typescript types of it compile a typed client, and refuse its mistakes', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/v1/openapi.json')
    await mkdir(`${ROOT}tmp/openapi`, { recursive: true })
    await writeFile(`${ROOT}${DOCUMENT}`, JSON.stringify(response.body()))

    const generated = await run('openapi-typescript', [DOCUMENT, '--output', TYPES])
    assert.equal(generated.code, 0, generated.output)
    // tests/openapi_client/typed_client.ts: its @ts-expect-error lines fail the build if not errors
    const compiled = await run('tsc', ['-p', 'tests/openapi_client/tsconfig.json'])
    assert.equal(compiled.code, 0, compiled.output)
  })
})
