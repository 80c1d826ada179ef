import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import User, { type Locale } from '#models/user'
import ConflictException from '#exceptions/conflict_exception'
import { cancelCheckinsBeforeRelanceOf } from '#services/checkins/checkin_scheduler'

export async function registerUser(
  details: { fullName: string; email: string; password: string },
  trx: TransactionClientContract
) {
  const taken = await User.query({ client: trx })
    .whereRaw('lower(email) = ?', [details.email])
    .first()
  if (taken) throw new ConflictException('An account already uses this email')
  const user = await User.create(
    { ...details, email: details.email.toLowerCase() },
    { client: trx }
  )
  // The insert returns only the id: read back the columns the database defaults
  return user.refresh()
}

export async function updateProfile(
  user: User,
  changes: {
    fullName?: string
    timezone?: string
    locale?: Locale
    relanceOffsets?: number[]
    checkinBeforeEachRelance?: boolean
    paymentInstructions?: string | null
    latePenaltyRate?: number | null
    thankClientsOnPayment?: boolean
    iban?: string | null
    bic?: string | null
    accountHolder?: string | null
  },
  trx: TransactionClientContract
) {
  user.useTransaction(trx)
  await user.merge(changes).save()
  if (changes.checkinBeforeEachRelance === false) await cancelCheckinsBeforeRelanceOf(user.id, trx)
  return user
}

/** Signs the user out everywhere: every access token of theirs, in one statement. */
export async function revokeAllAccessTokens(user: User) {
  await db.from('auth_access_tokens').where('tokenable_id', user.id).delete()
}
