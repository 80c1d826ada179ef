import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'

/**
 * A real S3-compatible server (s3rver) on a free loopback port, its bucket
 * in a temporary folder: what `DRIVE_DISK=s3` talks to in the tests, and the
 * environment that points the app at it.
 */
export async function startS3Server(bucket = 'relance-documents') {
  const directory = await mkdtemp(join(tmpdir(), 'relance-s3-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  // s3rver's own credentials
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
  let stopped = false
  return {
    env: {
      DRIVE_DISK: 's3',
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    /** The keys the bucket holds, sorted. */
    async keys(): Promise<string[]> {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
      return (listed.Contents ?? []).map((object) => object.Key!).sort()
    },
    /** Stops the server (a test may stop it early: then the scene's stop does nothing). */
    async stop() {
      if (stopped) return
      stopped = true
      client.destroy()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
