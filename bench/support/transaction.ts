/*
| A transaction on a bare pg pool, as the baselines write without an ORM.
*/
import type pg from 'pg'

/** Runs `work` between BEGIN and COMMIT on one client of the pool; ROLLBACK on error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>
): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}
