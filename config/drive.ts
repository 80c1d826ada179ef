import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, services } from '@adonisjs/drive'

/**
 * Where invoice documents (PDFs) live: the local disk by default, under
 * storage/ (created on first write, ignored by git), or an S3-compatible
 * bucket (AWS S3, Cloudflare R2, Scaleway, MinIO…). Files are private:
 * they are only ever served through the API, to their owner, or through a
 * client's page link, never by a public URL. No ACL header is sent: new
 * AWS buckets and R2 refuse them, and a bucket is private by default.
 */
if (env.get('DRIVE_DISK') === 's3' && !env.get('S3_BUCKET')) {
  throw new Error(
    'DRIVE_DISK=s3 needs S3_BUCKET (and S3_REGION, S3_ENDPOINT for a service other than AWS)'
  )
}

const disk = env.get('DRIVE_DISK', 'fs')
const disks = {
  fs: services.fs({
    location: app.makePath('storage'),
    serveFiles: false,
    visibility: 'private',
  }),
  s3: services.s3({
    credentials: env.get('S3_ACCESS_KEY_ID')
      ? {
          accessKeyId: env.get('S3_ACCESS_KEY_ID')!,
          secretAccessKey: env.get('S3_SECRET_ACCESS_KEY', ''),
        }
      : // Unset: the SDK's own chain (instance role, AWS_* variables, ~/.aws)
        undefined,
    region: env.get('S3_REGION') || 'us-east-1',
    bucket: env.get('S3_BUCKET') ?? '',
    endpoint: env.get('S3_ENDPOINT') || undefined,
    forcePathStyle: env.get('S3_FORCE_PATH_STYLE', false),
    supportsACL: false,
    visibility: 'private',
  }),
}

const driveConfig = defineConfig({
  default: disk,
  // Only the disk in use is resolved at boot: each resolution imports its driver, and the
  // S3 SDK is ~35 MB of RSS in every process (the worker's included) when the disk is fs
  services: { [disk]: disks[disk] } as typeof disks,
})

export default driveConfig

declare module '@adonisjs/drive/types' {
  export interface DriveDisks extends InferDriveDisks<typeof driveConfig> {}
}
