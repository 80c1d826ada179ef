/*
|--------------------------------------------------------------------------
| Local setup, run before the app or the tests
|--------------------------------------------------------------------------
|
| Writes .env from .env.example with a fresh APP_KEY when there is none,
| then creates the PostgreSQL database the environment points at when it is
| missing. Plain Node: it runs before the app can boot. bin/dev.ts runs
| the same steps through setUp().
|
|   node --import=@poppinss/ts-exec bin/setup.ts [--env test]
*/
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { parseEnv } from 'node:util'
import pg from 'pg'

const root = new URL('../', import.meta.url)

export type ResolvedEnv = Record<string, string | undefined>

async function ensureDotEnv() {
  const dotEnv = new URL('.env', root)
  if (existsSync(dotEnv)) return
  const example = await readFile(new URL('.env.example', root), 'utf8')
  const key = randomBytes(32).toString('base64url')
  await writeFile(dotEnv, example.replace(/^APP_KEY=.*$/m, `APP_KEY=${key}`))
  console.log('setup: wrote .env from .env.example with a fresh APP_KEY')
}

/** The values AdonisJS will see: process variables win over .env.<env>, which wins over .env. */
async function resolveEnv(nodeEnv: string): Promise<ResolvedEnv> {
  const files = ['.env', `.env.${nodeEnv}`].map((name) => new URL(name, root)).filter(existsSync)
  const parsed = await Promise.all(
    files.map(async (file) => parseEnv(await readFile(file, 'utf8')))
  )
  return Object.assign({}, ...parsed, process.env)
}

async function ensureDatabase(env: ResolvedEnv) {
  const database = env.DB_DATABASE!
  const client = new pg.Client({
    host: env.DB_HOST,
    port: Number(env.DB_PORT),
    user: env.DB_USER,
    password: env.DB_PASSWORD || undefined,
    database: 'postgres',
  })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      database,
    ])
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`)
      console.log(`setup: created database ${database}`)
    }
  } finally {
    await client.end()
  }
}

/**
 * .env and the database of `nodeEnv`; resolves with the environment the app
 * will see. Exits with a hint when PostgreSQL cannot be reached.
 */
export async function setUp(nodeEnv: string): Promise<ResolvedEnv> {
  try {
    await ensureDotEnv()
    const env = await resolveEnv(nodeEnv)
    await ensureDatabase(env)
    return env
  } catch (error) {
    console.error(`setup: ${(error as Error).message}`)
    console.error('setup: is PostgreSQL running? See "Prerequisites" in the README.')
    process.exit(1)
  }
}

if (import.meta.main) {
  const envArgument = process.argv.indexOf('--env')
  await setUp(
    envArgument > 0 ? process.argv[envArgument + 1] : (process.env.NODE_ENV ?? 'development')
  )
}
